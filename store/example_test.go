package store_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
)

func Example() {
	dir, err := os.MkdirTemp("", "multaque")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	db, err := store.Open(filepath.Join(dir, "multaque.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()

	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for id := int64(1); id <= 3; id++ {
		c := &multaque.Citizen{ID: id, Lang: multaque.Catalan, Community: "gracia", ConsentAt: now}
		c.SetInterests([]string{"energy"}, now)
		if err := db.SaveCitizen(ctx, c); err != nil {
			log.Fatal(err)
		}
	}
	if err := db.MarkUnreachable(ctx, 2); err != nil {
		log.Fatal(err)
	}
	waiting, err := db.CountWaiting(ctx, "gracia", []string{"energy", "time-bank"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("energy:", waiting["energy"], "time-bank:", waiting["time-bank"])

	// The same update delivered twice is handled once.
	for range 2 {
		fresh, err := db.RecordUpdate(ctx, 881)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("update 881 fresh:", fresh)
	}

	_, err = db.Citizen(ctx, 404)
	fmt.Println(multaque.ErrorCode(err))
	// Output:
	// energy: 2 time-bank: 0
	// update 881 fresh: true
	// update 881 fresh: false
	// not_found
}
