package catalog_test

import (
	"fmt"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/catalog"
)

func ExampleCatalog_Search() {
	c, err := catalog.Default()
	if err != nil {
		panic(err)
	}
	// Case and accents do not matter; the district comes first because its
	// name is exactly the query.
	for _, cm := range c.Search("GRACIA", multaque.Catalan, 3) {
		fmt.Println(cm.ID, "—", cm.Name.In(multaque.Catalan))
	}
	// Output:
	// gracia — Gràcia
	// camp-d-en-grassot — El Camp d'en Grassot i Gràcia Nova
	// vila-de-gracia — La Vila de Gràcia
}

func ExampleCatalog_Nearest() {
	c, err := catalog.Default()
	if err != nil {
		panic(err)
	}
	// A location shared from Plaça del Sol.
	cm, ok := c.Nearest(41.4036, 2.1570)
	fmt.Println(cm.ID, ok, c.Ancestors(cm.ID))
	// Output:
	// vila-de-gracia true [gracia barcelona catalunya]
}

func ExampleCatalog_Project() {
	c, err := catalog.Default()
	if err != nil {
		panic(err)
	}
	p, _ := c.Project("consumer-group")
	fmt.Printf("%s: a team forms at %d people, up to %d\n", p.Name.In(multaque.English), p.MinTeam, p.MaxTeam)
	// Output:
	// Organic food consumer group: a team forms at 8 people, up to 15
}
