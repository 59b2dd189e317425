package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/multaque/multaque"
)

// command is one subcommand: how its help describes it.
type command struct {
	name    string
	args    string // what follows the name in its usage line
	summary string // what it does, a few lines
	example string
}

// commands are the subcommands, in the order the help lists them.
var commands = []command{
	{"serve", "[--config FILE]",
		"Run the bot against Telegram, with the token from MULTAQUE_TELEGRAM_TOKEN, until\nSIGINT, SIGTERM or SIGHUP, then stop cleanly.",
		"MULTAQUE_TELEGRAM_TOKEN=123456:ABC... multaque serve --config configs/config.yaml"},
	{"sandbox", "[--addr ADDR] [--data FILE] [--demo] [--config FILE]",
		"Try the bot with no Telegram account: the bot against an in-process fake\nTelegram, played from a web page.",
		"multaque sandbox --demo --addr 127.0.0.1:8080"},
	{"backup", "[--config FILE] [--data FILE] FILE",
		"Write a compacted, consistent copy of the database to FILE (not the database,\nnot a directory). While the bot runs, it takes the copy (needs http.addr).",
		"multaque backup --config configs/config.yaml /var/backups/multaque-before-upgrade.db"},
	{"restore", "[--config FILE] [--data FILE] [--force] FILE",
		"Replace the database with the backup FILE (the bot stopped), after checking it\nas `check` does: a backup with problems is refused unless --force. The\ndatabase replaced is kept beside it as <name>.before-restore-<time>, and the\nerasures made since the backup are made again.",
		"multaque restore --config configs/config.yaml /var/backups/multaque-20260301T030000.000Z.db"},
	{"check", "[--config FILE] [--data FILE]",
		"bbolt's consistency check and Multaque's invariants: one problem per line,\nexit status 1 if any. While the bot runs, it checks a copy (needs http.addr).",
		"multaque check --data /var/backups/multaque-20260301T030000.000Z.db"},
	{"compact", "[--config FILE] [--data FILE]",
		"Rewrite the database without its free pages, which may hold erased data\n(the bot stopped).",
		"multaque compact --config configs/config.yaml"},
	{"catalog", "stale [--older-than AGE] [--catalog FILE] [--config FILE]",
		"List the catalogue's claims (examples, figures, money and law) last checked at\ntheir source longer ago than AGE (12mo by default; also 90d, 8w, 2y), the\noldest first; exit status 1 if there is any.",
		"multaque catalog stale --older-than 12mo"},
	{"version", "",
		"Print the version of this binary.",
		"multaque version"},
}

func commandNamed(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// errHelp is returned by parseFlags when help was asked for and printed.
var errHelp = errors.New("help printed")

// newFlagSet returns the flag set of the command name, whose usage is the
// command's help followed by its flags.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, help printed by parseFlags
	fs.Usage = func() {}
	return fs
}

// printCommandHelp writes the help of the command with fs's flags to w.
func printCommandHelp(w io.Writer, fs *flag.FlagSet) {
	c, _ := commandNamed(fs.Name())
	fmt.Fprintf(w, "Usage: multaque %s %s\n\n%s\n\nFlags:\n", c.name, c.args, c.summary)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	fmt.Fprintf(w, "\nExample:\n  %s\n", c.example)
}

// parseFlags parses args with fs, flags before, between or after the
// positional arguments (`backup b.db --config c.yaml`), which it returns;
// "--" ends the flags. -h and --help print the command's help to stdout
// and return errHelp. A wrong flag is an error that names the command's
// help.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) ([]string, error) {
	var positional []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			printCommandHelp(stdout, fs)
			return nil, errHelp
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v (see multaque %s --help)", fs.Name(), err, fs.Name())
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil // after "--", all positional
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// defaultConfigPath is the file serve and the operator commands read when
// not given --config, if it exists: the one the repository and the
// container image ship.
const defaultConfigPath = "configs/config.yaml"

// configPathOr returns path, or defaultConfigPath if path is empty and
// that file exists, or "" (built-in defaults).
func configPathOr(path string) string {
	if path != "" {
		return path
	}
	if fi, err := os.Stat(defaultConfigPath); err == nil && fi.Mode().IsRegular() {
		return defaultConfigPath
	}
	return ""
}

// describeConfig says which configuration file was read, for the log.
func describeConfig(path string) string {
	if path == "" {
		return "none (built-in defaults and MULTAQUE_* variables)"
	}
	return path
}

// plainError writes err for an operator: the text of each *multaque.Error
// in it reduced to its message ("multaque error: code=unavailable
// message=the file is locked" → "the file is locked").
func plainError(err error) string {
	s := err.Error()
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if me, ok := e.(*multaque.Error); ok {
			s = strings.ReplaceAll(s, me.Error(), me.Message)
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		}
	}
	walk(err)
	return s
}
