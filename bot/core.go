package bot

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/tg"
)

// core is what every room stands on: the wire, the screens, the survey's
// rules, the clock, who the coordinators are, and the answers every room
// gives (a message, an edit of the pressed one, "this button has expired",
// an error in the person's language).
type core struct {
	wire          *tg.Client
	username      string
	store         coreStore
	survey        *Survey
	view          *renderer
	log           zerolog.Logger
	rootLog       zerolog.Logger // for the other components' loggers
	now           func() time.Time
	coordinators  *coordinatorSet
	provisionWake chan struct{} // wakes the Provisioner
	routes        *routes       // the route table, for the menus
}

// coreStore is what the core needs of the database: who someone is, and
// the audit log every coordinators' command writes.
type coreStore interface {
	Citizen(ctx context.Context, id int64) (*multaque.Citizen, error)
	MarkUnreachable(ctx context.Context, id int64) error
	Coordinator(ctx context.Context, id int64) (*multaque.Coordinator, error)
	Audit(ctx context.Context, e multaque.AuditEntry) error
	// AuditRefusal is Audit, and reports whether a refusal is the
	// person's first of the day.
	AuditRefusal(ctx context.Context, e multaque.AuditEntry) (first bool, err error)
}
