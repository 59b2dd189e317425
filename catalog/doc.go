// Package catalog holds what Multaque offers, where, and in which words: the
// project types people can ask for (with their explanations, real examples,
// critical mass and kickoff playbook), the tree of communities they live in
// from Catalonia down to neighbourhoods, and the messages of the interface
// in every language (see Messages).
//
// Every example and every figure, sum of money or legal rule of the
// catalogue is a Claim with its source and the day it was last checked;
// loading refuses one without, and Stale lists those to check again. A
// project's examples are rendered for people by ExampleHTML, with the date
// of their figures in the person's language.
//
// A Catalog is read from YAML (configs/catalog.yaml by default), checked as a
// whole when it is loaded, and never changes afterwards, so one value can be
// shared by every goroutine. Lookups and the community nearest to a shared
// location are answered from indexes built at load time, search by name from
// one built on the first search. Communities are kept in a compact form (a
// country's 100,000 neighbourhoods take a few MB) and made into
// multaque.Community values when asked for.
//
// It must never do I/O after loading, write anything, or know about Telegram
// or storage: it speaks only the domain types of package multaque.
package catalog
