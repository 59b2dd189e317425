//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package store

import (
	"errors"
	"os"
	"syscall"
)

// canLock says that this system has flock, so that the sweeps can tell a
// temporary file being written from an abandoned one.
const canLock = true

// tryLock takes an exclusive flock on f without waiting and reports whether
// it has it: false means another open file holds it.
func tryLock(f *os.File) (bool, error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		case errors.Is(err, syscall.EINTR):
		default:
			return false, err
		}
	}
}

// lock takes an exclusive flock on f, waiting for it if another open file
// holds it.
func lock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// dupFile returns a new descriptor of f's open file, and so of its lock,
// not inherited by processes this one starts.
func dupFile(f *os.File) (*os.File, error) {
	// As os/exec does: no fork between the dup and the close-on-exec.
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		return nil, &os.PathError{Op: "dup", Path: f.Name(), Err: err}
	}
	syscall.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// errNotRegular is openNoFollow's error for a name that has become a
// symbolic link.
var errNotRegular = errors.New("not a regular file")

// openNoFollow opens the file at path for reading, failing with
// errNotRegular if path is a symbolic link, and without waiting for a
// writer if it is a pipe.
func openNoFollow(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ELOOP) {
		return nil, errNotRegular
	}
	return f, err
}
