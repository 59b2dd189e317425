package catalog

import (
	"math"
	"slices"

	"github.com/multaque/multaque"
)

// slackKm is how far outside every outline a point may be and still take
// the nearest outline's community. Outlines are simplified to about 20 m
// (see docs/CATALOGUE.md), so a point on a street that two neighbourhoods
// share can fall in a sliver between them; 30 m covers those and no
// more.
const slackKm = 0.03

// earthRadiusKm is the mean radius of the Earth.
const earthRadiusKm = 6371.0

// Nearest returns the community of a shared location. A community says
// where it lies with an outline (area: Barcelona's neighbourhoods) or a
// circle around its centre (radius_km: the other towns); an outline is
// exact, a circle a guess, so:
//
//  1. The deepest community whose outline holds the point wins.
//  2. Else, a point within 30 m of outlines (a sliver between two
//     simplified ones) takes the nearest outline's community.
//  3. Else, the community whose circle holds the point and whose centre is
//     nearest wins.
//  4. Else the point lies outside every place the catalogue knows, and
//     Nearest reports false: the person is asked to pick.
//
// If the winner has children with coordinates but no area of their own
// (a town whose neighbourhoods have only centres), the child with the
// nearest centre wins, and so on down: never a community outside the one
// that holds the point. It reports false too when the point is not a
// valid latitude and longitude.
func (c *Catalog) Nearest(lat, lon float64) (multaque.Community, bool) {
	if math.IsNaN(lat) || math.IsNaN(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return multaque.Community{}, false
	}
	cs := c.communities
	p := point{lat, lon}
	best := int32(-1)
	for _, a := range cs.areas {
		if len(a.rings) > 0 && a.holds(p) && (best < 0 || cs.depth[a.at] > cs.depth[best]) {
			best = a.at
		}
	}
	if best < 0 {
		nearest := slackKm
		for _, a := range cs.areas {
			if len(a.rings) == 0 {
				continue
			}
			if d := a.outlineKm(p); d <= nearest {
				best, nearest = a.at, d
			}
		}
	}
	if best < 0 {
		nearest := math.Inf(1)
		for _, a := range cs.areas {
			if a.radiusKm == 0 {
				continue
			}
			if d := haversineKm(lat, lon, a.lat, a.lon); d <= a.radiusKm && d < nearest {
				best, nearest = a.at, d
			}
		}
	}
	if best < 0 {
		return multaque.Community{}, false
	}
	for {
		next, nearest := int32(-1), math.Inf(1)
		for _, k := range cs.children(best) {
			at, ok := cs.coordsOf(k)
			if !ok || cs.hasArea(k) {
				continue
			}
			if d := haversineKm(lat, lon, at.lat, at.lon); d < nearest {
				next, nearest = k, d
			}
		}
		if next < 0 {
			break
		}
		best = next
	}
	return cs.community(best), true
}

// coordsOf returns the centre of community i, if it has one.
func (c *communities) coordsOf(i int32) (coords, bool) {
	k, ok := slices.BinarySearchFunc(c.coords, i, func(x coords, i int32) int { return int(x.at - i) })
	if !ok {
		return coords{}, false
	}
	return c.coords[k], true
}

// hasArea reports whether community i says where it lies.
func (c *communities) hasArea(i int32) bool {
	_, ok := slices.BinarySearchFunc(c.areas, i, func(x area, i int32) int { return int(x.at - i) })
	return ok
}

// holds reports whether p lies inside an odd number of a's rings.
func (a *area) holds(p point) bool {
	in := false
	for _, r := range a.rings {
		j := len(r) - 1
		for i := range r {
			if (r[i].lat > p.lat) != (r[j].lat > p.lat) &&
				p.lon < (r[j].lon-r[i].lon)*(p.lat-r[i].lat)/(r[j].lat-r[i].lat)+r[i].lon {
				in = !in
			}
			j = i
		}
	}
	return in
}

// outlineKm is how far p is from the nearest edge of a's rings, in km,
// on a flat map around p (good to a metre at the scale of a town).
func (a *area) outlineKm(p point) float64 {
	kx := math.Cos(p.lat*math.Pi/180) * earthRadiusKm * math.Pi / 180
	ky := earthRadiusKm * math.Pi / 180
	best := math.Inf(1)
	for _, r := range a.rings {
		j := len(r) - 1
		for i := range r {
			ax, ay := (r[j].lon-p.lon)*kx, (r[j].lat-p.lat)*ky
			bx, by := (r[i].lon-p.lon)*kx, (r[i].lat-p.lat)*ky
			dx, dy := bx-ax, by-ay
			t := 0.0
			if l := dx*dx + dy*dy; l > 0 {
				t = max(0, min(1, -(ax*dx+ay*dy)/l))
			}
			best = min(best, math.Hypot(ax+t*dx, ay+t*dy))
			j = i
		}
	}
	return best
}

// haversineKm is the great-circle distance between two points given in
// degrees.
func haversineKm(lat1, lon1, lat2, lon2 float64) float64 {
	const rad = math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLon := (lon2 - lon1) * rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKm * math.Asin(math.Sqrt(min(1, a)))
}
