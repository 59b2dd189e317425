package bot

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// update rewrites the golden files of rendered screens (testdata/*.golden)
// instead of comparing with them: go test ./bot -run Screens -update. Read
// every file it changes, in all three languages.
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/<name>.golden, or writes it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (run with -update, then read the diff):\n%s", name, path, got)
	}
}
