package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpsFileWrittenExclusively: the file with the operator token is a new
// file of mode 0600, whatever was there: a symlink planted where it is
// written first is not followed, and a file left with a looser mode does
// not lend it its mode.
func TestOpsFileWrittenExclusively(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "multaque.db")
	path := data + opsFileSuffix
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, path+".tmp"); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
	if err := os.WriteFile(path, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	remove, err := writeOpsFile(data, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9090}, "s3cr3t-token")
	if err != nil {
		t.Fatalf("writeOpsFile: %v", err)
	}
	defer remove()
	if b, _ := os.ReadFile(victim); string(b) != "keep me" {
		t.Errorf("the file a planted symlink points to now reads %q", b)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want a regular file of 0600", path, fi.Mode())
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "s3cr3t-token") {
		t.Errorf("%s reads %q, want the token", path, b)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*.tmp*"))
	for _, f := range left {
		if f != path+".tmp" {
			t.Errorf("a temporary file was left: %s", f)
		}
	}
}
