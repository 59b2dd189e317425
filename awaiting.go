package multaque

// Awaiting names the conversation that waits for the text a person types
// next. Typed text goes to that conversation, and to the survey when none
// waits.
type Awaiting string

// The conversations that wait for typed text.
const (
	AwaitNothing   Awaiting = ""          // the survey takes the text
	AwaitBroadcast Awaiting = "broadcast" // a coordinator's broadcast waits for its text
	AwaitProposal  Awaiting = "proposal"  // a proposal waits for an answer, or a coordinator's note on one
	AwaitDecision  Awaiting = "decision"  // a decision's draft waits for its question, options or target, or a block for its reason
	// AwaitCheckInNote: a mentor's check-in waits for its optional line.
	AwaitCheckInNote Awaiting = "checkin-note"
)

// AwaitPledge: a pledger's typed amount (or hours) waits for their pledge.
const AwaitPledge Awaiting = "pledge"
