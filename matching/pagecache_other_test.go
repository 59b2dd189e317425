//go:build !(linux && (amd64 || arm64))

package matching_test

import "errors"

// dropFromPageCache is only written for Linux.
func dropFromPageCache(string) error {
	return errors.New("-runner.cache=cold needs Linux on amd64 or arm64")
}
