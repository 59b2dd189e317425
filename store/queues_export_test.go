package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// CheckQueueOrders is checkQueueOrders, for the tests of package store_test.
func CheckQueueOrders(db *DB) (problems []string, err error) {
	err = db.bolt.View(func(tx *bolt.Tx) error {
		checkQueueOrders(tx, func(format string, args ...any) {
			problems = append(problems, fmt.Sprintf(format, args...))
		})
		return nil
	})
	return problems, err
}
