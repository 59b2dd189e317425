// Package faultfs gives tests real file systems that fail the way disks
// do: a small tmpfs that can be filled up (ENOSPC), and an ext4 file system
// on a loop device that can be made to fail and turn read-only under open
// files (EROFS), as ext4 does with errors=remount-ro when the disk under it
// fails. Nothing is simulated: the program under test sees the kernel's
// own errors.
//
// Mounting needs root (or CAP_SYS_ADMIN); without it, or without the tools
// (mount, mkfs.ext4, e2fsck) or the kernel support, the test is skipped
// with the reason, unless MULTAQUE_FAULTFS=require, with which it fails:
// CI sets it, so that these tests cannot silently stop running there. It
// is for tests only.
package faultfs

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// skip skips the test for reason, or fails it if the environment requires
// these file systems.
func skip(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("MULTAQUE_FAULTFS") == "require" {
		t.Fatalf("MULTAQUE_FAULTFS=require, but: "+format, args...)
	}
	t.Skipf(format, args...)
}

// run runs a command and returns its combined output.
func run(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// Tmpfs mounts a tmpfs of size (as mount takes it: "4m") on a new
// directory, unmounted when the test ends, and returns the directory.
func Tmpfs(t testing.TB, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tmpfs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := run("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir); err != nil {
		skip(t, "cannot mount a tmpfs (root is needed): %v", err)
	}
	t.Cleanup(func() {
		if _, err := run("umount", dir); err != nil {
			t.Errorf("unmount the tmpfs: %v", err)
		}
	})
	return dir
}

// Fill writes a file in dir until the file system is full and returns the
// number of bytes it took, and a function that removes the file.
func Fill(t testing.TB, dir string) (int64, func()) {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	var n int64
	for {
		m, err := f.Write(buf)
		n += int64(m)
		if errors.Is(err, syscall.ENOSPC) {
			break
		}
		if err != nil {
			f.Close()
			t.Fatalf("fill %s: %v", dir, err)
		}
	}
	if err := f.Close(); err != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("fill %s: %v", dir, err)
	}
	return n, func() {
		if err := os.Remove(path); err != nil {
			t.Errorf("remove the filler: %v", err)
		}
	}
}

// Ext4 is an ext4 file system in an image file, mounted through a loop
// device with errors=remount-ro.
type Ext4 struct {
	// Dir is where it is mounted.
	Dir     string
	image   string
	device  string
	mounted bool
}

// NewExt4 makes an ext4 file system of sizeMB megabytes and mounts it,
// unmounted when the test ends.
func NewExt4(t testing.TB, sizeMB int) *Ext4 {
	t.Helper()
	if os.Geteuid() != 0 {
		skip(t, "mounting a loop device needs root")
	}
	for _, tool := range []string{"mount", "mkfs.ext4", "e2fsck", "findmnt"} {
		if _, err := exec.LookPath(tool); err != nil {
			skip(t, "%s is not installed", tool)
		}
	}
	base := t.TempDir()
	fs := &Ext4{Dir: filepath.Join(base, "ext4"), image: filepath.Join(base, "ext4.img")}
	if err := os.Mkdir(fs.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(fs.image)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(int64(sizeMB) << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := run("mkfs.ext4", "-q", "-F", fs.image); err != nil {
		skip(t, "cannot make an ext4 file system: %v", err)
	}
	if err := fs.mount(); err != nil {
		skip(t, "cannot mount a loop device: %v", err)
	}
	t.Cleanup(func() {
		if fs.mounted {
			if _, err := run("umount", fs.Dir); err != nil {
				t.Errorf("unmount the ext4 file system: %v", err)
			}
		}
	})
	return fs
}

func (fs *Ext4) mount() error {
	if _, err := run("mount", "-o", "loop,errors=remount-ro", fs.image, fs.Dir); err != nil {
		return err
	}
	fs.mounted = true
	out, err := run("findmnt", "-n", "-o", "SOURCE", fs.Dir)
	if err != nil {
		return err
	}
	fs.device = filepath.Base(strings.TrimSpace(out))
	return nil
}

// Fail makes the file system report an error, as a failing disk would:
// ext4 aborts its journal and turns read-only, and every write to it, from
// files already open too, fails with EROFS from then on. It stays so until
// Repair.
func (fs *Ext4) Fail(t testing.TB) {
	t.Helper()
	trigger := filepath.Join("/sys/fs/ext4", fs.device, "trigger_fs_error")
	if err := os.WriteFile(trigger, []byte("1"), 0); err != nil {
		skip(t, "cannot make ext4 fail (%s): %v", trigger, err)
	}
	probe := filepath.Join(fs.Dir, "probe")
	if err := os.WriteFile(probe, nil, 0o600); !errors.Is(err, syscall.EROFS) {
		t.Fatalf("writing after the failure: %v, want EROFS", err)
	}
}

// Repair does what an operator does for a file system that failed: it
// unmounts it, runs e2fsck -fy and mounts it again. Every file on it must
// be closed first.
func (fs *Ext4) Repair(t testing.TB) {
	t.Helper()
	if _, err := run("umount", fs.Dir); err != nil {
		t.Fatalf("unmount (is a file still open?): %v", err)
	}
	fs.mounted = false
	// e2fsck exits 1 when it fixed something, which is the point here.
	if out, err := exec.Command("e2fsck", "-fy", fs.image).CombinedOutput(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() > 1 {
			t.Fatalf("e2fsck: %v: %s", err, out)
		}
	}
	if err := fs.mount(); err != nil {
		t.Fatalf("mount again: %v", err)
	}
}
