package catalog_test

import (
	"math"
	"strings"
	"testing"

	"github.com/multaque/multaque/catalog"
)

// TestNearest places real points of Barcelona and of the catalogue's towns.
// Each point was checked against the official boundaries of Barcelona's
// neighbourhoods (Ajuntament de Barcelona, CartoBCN), not against the
// simplified outlines of the catalogue.
func TestNearest(t *testing.T) {
	c := defaultCatalog(t)
	tests := []struct {
		name     string
		lat, lon float64
		want     string // "" for a point the catalogue cannot place
		district string // its district, for Barcelona
	}{
		// The points the old rule got wrong (issue 18).
		{"Plaça de la Concòrdia", 41.3845, 2.1300, "barri-les-corts", "les-corts"},
		{"the Maternitat", 41.3825, 2.1235, "la-maternitat", "les-corts"},
		{"El Carmel", 41.4217, 2.1560, "el-carmel", "horta-guinardo"},
		{"La Sagrera", 41.4230, 2.1900, "la-sagrera", "sant-andreu"},
		{"Turó Park", 41.3949, 2.1421, "sant-gervasi-galvany", "sarria-sant-gervasi"},
		{"Santa Coloma de Gramenet, Plaça de la Vila: another town", 41.4515, 2.2081, "", ""},
		{"Sant Adrià de Besòs, town hall: another town", 41.4306, 2.2186, "", ""},
		// Others, in neighbourhoods that were listed before.
		{"Plaça del Sol", 41.4036, 2.1570, "vila-de-gracia", "gracia"},
		{"Rambla del Poblenou", 41.4005, 2.2010, "el-poblenou", "sant-marti"},
		{"Plaça de Sants", 41.3752, 2.1345, "sants", "sants-montjuic"},
		{"Camp Nou", 41.3809, 2.1228, "la-maternitat", "les-corts"},
		{"Hospital Clínic", 41.3894, 2.1521, "antiga-esquerra", "eixample"},
		{"Park Güell's gate", 41.4145, 2.1527, "la-salut", "gracia"},
		{"Sagrada Família", 41.4036, 2.1744, "sagrada-familia", "eixample"},
		// Towns with no outline: within a couple of km of their centre.
		{"Girona, Plaça del Vi", 41.9838, 2.8245, "girona", ""},
		{"Lleida, la Seu Vella", 41.6183, 0.6262, "lleida", ""},
		{"Vic, Plaça Major", 41.9305, 2.2545, "vic", ""},
		// Far from every town: asked to pick.
		{"Vielha, Val d'Aran", 42.7017, 0.7956, "", ""},
		{"Montserrat monastery", 41.5934, 1.8374, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := c.Nearest(tt.lat, tt.lon)
			if tt.want == "" {
				if ok {
					t.Fatalf("Nearest(%v, %v)=%s, want nothing (outside every place the catalogue knows)", tt.lat, tt.lon, got.ID)
				}
				return
			}
			if !ok || got.ID != tt.want {
				t.Fatalf("Nearest(%v, %v)=%s (found %v), want %s", tt.lat, tt.lon, got.ID, ok, tt.want)
			}
			if tt.district != "" && got.Parent != tt.district {
				t.Fatalf("Nearest(%v, %v) is in %s, want district %s", tt.lat, tt.lon, got.Parent, tt.district)
			}
		})
	}
}

// TestBarcelonaIsComplete checks the catalogue lists Barcelona's ten
// districts and 73 neighbourhoods, each neighbourhood with an outline that
// holds its own centre.
func TestBarcelonaIsComplete(t *testing.T) {
	c := defaultCatalog(t)
	districts := c.Children("barcelona")
	if len(districts) != 10 {
		t.Fatalf("len(Children(barcelona))=%d, want 10", len(districts))
	}
	n := 0
	for _, d := range districts {
		kids := c.Children(d.ID)
		if len(kids) == 0 {
			t.Errorf("district %s has no neighbourhoods", d.ID)
		}
		for _, k := range kids {
			n++
			got, ok := c.Nearest(*k.Lat, *k.Lon)
			if !ok || got.ID != k.ID {
				t.Errorf("Nearest(centre of %s)=%s, want %s", k.ID, got.ID, k.ID)
			}
		}
	}
	if n != 73 {
		t.Fatalf("Barcelona has %d neighbourhoods, want 73", n)
	}
}

// placesYAML is a catalogue whose places show each step of the rule: a town
// with an outline split in two neighbourhoods (west and east, with a 20 m
// gap between their outlines), a town known only by a circle, with two
// neighbourhoods known only by their centres, and a town with neither.
const placesYAML = `
  - id: region
    name: {ca: Regió, es: Región, en: Region}
    lat: 41.0
    lon: 1.0
  - id: square
    parent: region
    name: {ca: Quadrat, es: Cuadrado, en: Square}
    lat: 41.5
    lon: 2.05
  - id: west
    parent: square
    name: {ca: Oest, es: Oeste, en: West}
    lat: 41.5
    lon: 2.02
    area:
      - [[41.45, 2.0], [41.55, 2.0], [41.55, 2.04988], [41.45, 2.04988]]
  - id: east
    parent: square
    name: {ca: Est, es: Este, en: East}
    lat: 41.5
    lon: 2.08
    area:
      - [[41.45, 2.05012], [41.55, 2.05012], [41.55, 2.1], [41.45, 2.1]]
  - id: circle
    parent: region
    name: {ca: Cercle, es: Círculo, en: Circle}
    lat: 42.0
    lon: 2.0
    radius_km: 2
  - id: north
    parent: circle
    name: {ca: Nord, es: Norte, en: North}
    lat: 42.005
    lon: 2.0
  - id: south
    parent: circle
    name: {ca: Sud, es: Sur, en: South}
    lat: 41.995
    lon: 2.0
  - id: bare
    parent: region
    name: {ca: Nu, es: Desnudo, en: Bare}
    lat: 40.5
    lon: 0.5
`

func TestNearestRule(t *testing.T) {
	c, err := catalog.Parse(strings.NewReader(catalogYAML(project, placesYAML)))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		lat, lon float64
		want     string
	}{
		{"inside west's outline, nearer east's centre", 41.5, 2.049, "west"},
		{"inside east's outline", 41.5, 2.06, "east"},
		{"in the 20 m gap, nearer east's outline", 41.5, 2.0501, "east"},
		{"100 m outside every outline", 41.5, 2.1012, ""},
		{"inside the circle, north half", 42.01, 2.0, "north"},
		{"inside the circle, south half", 41.99, 2.001, "south"},
		{"outside the circle, nearer north's centre than anything", 42.03, 2.0, ""},
		{"on a town with neither outline nor circle", 40.5, 0.5, ""},
		{"on the region's centre", 41.0, 1.0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := c.Nearest(tt.lat, tt.lon)
			if got.ID != tt.want || ok != (tt.want != "") {
				t.Fatalf("Nearest(%v, %v)=%q, %v; want %q", tt.lat, tt.lon, got.ID, ok, tt.want)
			}
		})
	}
}

func TestNearestInvalid(t *testing.T) {
	c := defaultCatalog(t)
	for _, p := range [][2]float64{
		{math.NaN(), 2}, {41, math.NaN()}, {91, 2}, {41, 181}, {math.Inf(1), 0},
		{40.4168, -3.7038}, // Madrid: nowhere near the catalogue
	} {
		if got, ok := c.Nearest(p[0], p[1]); ok {
			t.Fatalf("Nearest(%v, %v)=%s, want nothing", p[0], p[1], got.ID)
		}
	}
	noCoordinates := catalogYAML(project, `
  - id: region
    name: {ca: Regió, es: Región, en: Region}
`)
	c, err := catalog.Parse(strings.NewReader(noCoordinates))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := c.Nearest(41.4, 2.1); ok {
		t.Fatalf("Nearest() with no coordinates=%s, want nothing", got.ID)
	}
}

func BenchmarkNearest(b *testing.B) {
	c := defaultCatalog(b)
	for b.Loop() {
		c.Nearest(41.4036, 2.1570)
	}
}
