//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package store

import (
	"errors"
	"os"
)

// canLock says that this system has no flock: a sweep cannot tell a
// temporary file being written from an abandoned one, so it removes none.
const canLock = false

// tryLock does nothing.
func tryLock(*os.File) (bool, error) { return true, nil }

// lock does nothing.
func lock(*os.File) error { return nil }

// dupFile opens f's file again.
func dupFile(f *os.File) (*os.File, error) { return os.OpenFile(f.Name(), os.O_RDWR, 0) }

// errNotRegular is openNoFollow's error for a name that is not a regular
// file.
var errNotRegular = errors.New("not a regular file")

// openNoFollow is never called: sweeps do nothing here.
func openNoFollow(path string) (*os.File, error) { return nil, errNotRegular }
