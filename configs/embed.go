// Package configs holds the files Multaque ships with, embedded in the
// binary so that it runs with no files beside it: the catalogue of projects
// and communities, and the example configuration. Parsing and validating
// them is the job of the packages that use them; this package only carries
// the bytes.
package configs

import _ "embed"

// CatalogYAML is configs/catalog.yaml: the projects people can ask for and
// the communities they live in, with every text in Catalan, Spanish and
// English. catalog.Default parses it.
//
//go:embed catalog.yaml
var CatalogYAML []byte

// ConfigYAML is configs/config.yaml: every setting at its default, with
// comments, as a starting point for operators.
//
//go:embed config.yaml
var ConfigYAML []byte
