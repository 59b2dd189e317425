package catalog

import (
	"math"

	"github.com/multaque/multaque"
)

// nearbyKm is how much farther than the closest community a more specific
// one may be and still be preferred by Nearest. Coordinates are centres, so
// a point in a neighbourhood can be closer to its town's centre than to the
// neighbourhood's; about the radius of a Barcelona neighbourhood.
const nearbyKm = 1.5

// farKm is how far the closest community may be for Nearest to answer at
// all. A point farther from every community than that is somewhere the
// catalogue does not cover (Madrid is not near Lleida); 150 km still reaches
// from the centre of Catalonia to the Val d'Aran.
const farKm = 150.0

// earthRadiusKm is the mean radius of the Earth.
const earthRadiusKm = 6371.0

// Nearest returns the community for a shared location: among the
// communities with coordinates, those at most about 1.5 km farther than the
// closest one are candidates, and the deepest of them (a neighbourhood
// before its district, a district before its town) wins, ties going to the
// closer. So a point in the Vila de Gràcia gives that neighbourhood, not
// Barcelona. It reports false when no community with coordinates is within
// 150 km, or the point is not a valid latitude and longitude.
func (c *Catalog) Nearest(lat, lon float64) (multaque.Community, bool) {
	if math.IsNaN(lat) || math.IsNaN(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return multaque.Community{}, false
	}
	cs := c.communities
	dist := make([]float64, len(cs.coords))
	closest := math.Inf(1)
	for k, at := range cs.coords {
		dist[k] = haversineKm(lat, lon, at.lat, at.lon)
		closest = min(closest, dist[k])
	}
	if closest > farKm {
		return multaque.Community{}, false
	}
	best := -1
	for k, d := range dist {
		if d > closest+nearbyKm {
			continue
		}
		i, b := cs.coords[k].at, int32(-1)
		if best >= 0 {
			b = cs.coords[best].at
		}
		if best < 0 || cs.depth[i] > cs.depth[b] ||
			cs.depth[i] == cs.depth[b] && d < dist[best] {
			best = k
		}
	}
	return cs.community(cs.coords[best].at), true
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
