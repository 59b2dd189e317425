package store

import (
	"context"
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// Languages returns the language of each of ids that is a citizen or a
// mentor (a citizen's own choice first), in one read transaction. Ids that
// are neither are left out; 0 is ignored.
func (db *DB) Languages(ctx context.Context, ids []int64) (map[int64]multaque.Lang, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make(map[int64]multaque.Lang, len(ids))
	err := db.bolt.View(func(tx *bolt.Tx) error {
		citizens, mentors := tx.Bucket(bucketCitizens), tx.Bucket(bucketMentors)
		for _, id := range ids {
			if id == 0 {
				continue
			}
			var rec struct {
				Lang multaque.Lang `json:"lang"`
			}
			data := citizens.Get(idKey(id))
			if data == nil {
				data = mentors.Get(idKey(id))
			}
			if data == nil || json.Unmarshal(data, &rec) != nil || !rec.Lang.Valid() {
				continue
			}
			out[id] = rec.Lang
		}
		return nil
	})
	return out, err
}
