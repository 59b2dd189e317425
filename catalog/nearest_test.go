package catalog_test

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multaque/multaque/catalog"
)

func TestNearest(t *testing.T) {
	c := defaultCatalog(t)
	tests := []struct {
		name     string
		lat, lon float64
		want     string
	}{
		// Closer to Barcelona's districts than to the Vila's centre is not
		// the point: the neighbourhood wins over the district and the town.
		{"Plaça del Sol, Vila de Gràcia", 41.4036, 2.1570, "vila-de-gracia"},
		{"Rambla del Poblenou", 41.4005, 2.2010, "el-poblenou"},
		{"Plaça de Sants", 41.3752, 2.1345, "sants"},
		{"Girona, Plaça del Vi", 41.9838, 2.8245, "girona"},
		{"Lleida, la Seu Vella", 41.6183, 0.6262, "lleida"},
		{"Vic, Plaça Major", 41.9305, 2.2545, "vic"},
		{"Val d'Aran, Vielha: far from every town", 42.7017, 0.7956, "catalunya"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := c.Nearest(tt.lat, tt.lon)
			if !ok {
				t.Fatalf("Nearest(%v, %v) found nothing, want %s", tt.lat, tt.lon, tt.want)
			}
			if got.ID != tt.want {
				t.Fatalf("Nearest(%v, %v)=%s, want %s", tt.lat, tt.lon, got.ID, tt.want)
			}
		})
	}
}

func TestNearestPrefersDeeper(t *testing.T) {
	c, err := catalog.LoadFile(filepath.Join("testdata", "minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Exactly on the town's centre, 140 m from the neighbourhood's: the
	// neighbourhood is more specific and near enough.
	if got, _ := c.Nearest(41.5, 2.0); got.ID != "barri" {
		t.Fatalf("Nearest(town centre)=%s, want barri", got.ID)
	}
	// 5 km away from both: still the deepest of the two, as they are 140 m
	// apart.
	if got, _ := c.Nearest(41.545, 2.0); got.ID != "barri" {
		t.Fatalf("Nearest(5 km north)=%s, want barri", got.ID)
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
