// Package catalog holds what Multaque offers, where, and in which words: the
// project types people can ask for (with their explanations, real examples,
// critical mass and kickoff playbook), the tree of communities they live in
// from Catalonia down to neighbourhoods, and the messages of the interface
// in every language (see Messages).
//
// A Catalog is read from YAML (configs/catalog.yaml by default), checked as a
// whole when it is loaded, and never changes afterwards, so one value can be
// shared by every goroutine. Lookups, search by name and the community
// nearest to a shared location are answered from indexes built at load time.
//
// It must never do I/O after loading, write anything, or know about Telegram
// or storage: it speaks only the domain types of package multaque.
package catalog
