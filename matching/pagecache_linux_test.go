//go:build linux && (amd64 || arm64)

package matching_test

import (
	"os"
	"syscall"
)

// dropFromPageCache asks the kernel to forget the cached pages of the file
// at path (posix_fadvise POSIX_FADV_DONTNEED), as after a reboot.
func dropFromPageCache(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	const dontNeed = 4
	if _, _, errno := syscall.Syscall6(syscall.SYS_FADVISE64, f.Fd(), 0, 0, dontNeed, 0, 0); errno != 0 {
		return errno
	}
	return nil
}
