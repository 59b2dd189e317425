package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// catalogUsage is the help of `multaque catalog`.
const catalogUsage = `Usage:
  multaque catalog stale [--older-than AGE] [--catalog FILE] [--config FILE]
      list the claims of the catalogue (its examples, figures, money and law)
      last checked at their source longer ago than AGE (12mo by default; also
      90d, 8w, 2y), the oldest first; exit status 1 if there is any
`

// runCatalog is `multaque catalog SUBCOMMAND`.
func runCatalog(_ context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		return catalogStale(args, time.Now(), getenv, stdout, stderr) // prints the help
	}
	if len(args) == 0 || args[0] != "stale" {
		fmt.Fprint(stderr, catalogUsage)
		if len(args) == 0 {
			return errors.New("catalog: no subcommand given")
		}
		return fmt.Errorf("catalog: unknown subcommand %q", args[0])
	}
	return catalogStale(args[1:], time.Now(), getenv, stdout, stderr)
}

// catalogStale lists the claims last checked before now minus the age
// --older-than gives.
func catalogStale(args []string, now time.Time, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("catalog")
	olderThan := fs.String("older-than", "12mo", "how long ago a claim was last checked to be listed: 90d, 8w, 12mo, 2y")
	file := fs.String("catalog", "", "catalogue file (default: catalog.path of the configuration, or the built-in one)")
	config := fs.String("config", "", "configuration file, for catalog.path")
	rest, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		fmt.Fprint(stderr, catalogUsage)
		return fmt.Errorf("catalog stale: unexpected argument %q", rest[0])
	}
	cutoff, err := cutoffBefore(now, *olderThan)
	if err != nil {
		return fmt.Errorf("catalog stale: --older-than: %w", err)
	}
	path := *file
	if path == "" {
		cfg, err := LoadConfig(*config, getenv)
		if err != nil {
			return err
		}
		path = cfg.Catalog.Path
	}
	cat, err := loadCatalog(path)
	if err != nil {
		return err
	}
	stale := cat.Stale(cutoff)
	for _, cl := range stale {
		what := "claim"
		if cl.Example != "" {
			what = fmt.Sprintf("example %q", cl.Example)
		}
		fmt.Fprintf(stdout, "%s  %s  %s  %s\n    %s\n",
			cl.Checked.Format(time.DateOnly), cl.Project, what, cl.Source, oneLine(cl.Says))
	}
	total := len(cat.Claims())
	if len(stale) == 0 {
		fmt.Fprintf(stdout, "all %d claims checked since %s\n", total, cutoff.Format(time.DateOnly))
		return nil
	}
	fmt.Fprintf(stdout, "%d of %d claims last checked before %s: read each at its source, correct the catalogue, and set its checked date\n",
		len(stale), total, cutoff.Format(time.DateOnly))
	return fmt.Errorf("catalog stale: %d claims need re-checking", len(stale))
}

// cutoffBefore is now minus age: a number and a unit, d (days), w
// (weeks), mo (months) or y (years).
func cutoffBefore(now time.Time, age string) (time.Time, error) {
	units := []struct {
		suffix     string
		y, m, days int
	}{{"mo", 0, 1, 0}, {"d", 0, 0, 1}, {"w", 0, 0, 7}, {"y", 1, 0, 0}}
	for _, u := range units {
		num, ok := strings.CutSuffix(age, u.suffix)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil || n < 0 || n > 1200 {
			break
		}
		return now.AddDate(-n*u.y, -n*u.m, -n*u.days), nil
	}
	return time.Time{}, fmt.Errorf("%q is not an age such as 90d, 8w, 12mo or 2y", age)
}

// oneLine keeps a text on one line of the listing.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
