package main

import (
	"runtime"
	"runtime/debug"
)

// version is the release this binary is, set at build time with
//
//	go build -ldflags "-X main.version=v1.4.0" ./cmd/multaque
//
// Without it, the module's version from the build information is used
// (set by `go install module@version`), else the VCS revision go build
// stamps from a git checkout, else "devel".
var version = ""

// buildVersion says which build runs: printed by `multaque version`, at
// start, and in /metrics (multaque_build_info).
type buildVersion struct {
	Version   string
	Revision  string // VCS revision, with "-dirty" if modified; "" if unknown
	GoVersion string
}

// currentVersion reads the version of this binary.
func currentVersion() buildVersion {
	v := buildVersion{Version: version, GoVersion: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		if v.Version == "" {
			v.Version = "devel"
		}
		return v
	}
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified && v.Revision != "" {
		v.Revision += "-dirty"
	}
	if v.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v.Version = info.Main.Version
	}
	if v.Version == "" {
		v.Version = "devel"
		if v.Revision != "" {
			v.Version += "+" + shortRevision(v.Revision)
		}
	}
	return v
}

func shortRevision(r string) string {
	if len(r) > 12 {
		return r[:12]
	}
	return r
}

// String is the version on one line: "multaque v1.4.0 (rev abc123, go1.26)".
func (v buildVersion) String() string {
	s := "multaque " + v.Version + " ("
	if v.Revision != "" {
		s += "rev " + shortRevision(v.Revision) + ", "
	}
	return s + v.GoVersion + ")"
}
