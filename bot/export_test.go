package bot

import (
	"bytes"
	"sync"
)

// AdminCommandNames lists the name of every coordinators' command of the
// route table, for the tests that walk them all.
func AdminCommandNames(b *Bot) []string { return b.routes.names(coordinatorMenu) }

// SyncBuffer is a log sink the bot's goroutines and a test share. It is
// exported for the tests of package bot_test, which call it syncBuffer.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
