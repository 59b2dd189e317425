// Package matching decides who forms a team with whom: it turns the people
// waiting in each community for each project into teams once they reach the
// project's critical mass, lets late joiners fill open teams, pools queues
// that stay too small at the parent community, and picks mentors.
//
// Plan is the pure core: it takes a Snapshot of everything a pass needs and
// returns the Decisions to apply. It must never do I/O, read the clock, log,
// or depend on the order of its input or of map iteration: the same snapshot
// always gives the same plan, so that a pass can be replayed in a test and a
// second run after a crash decides nothing new. Applying decisions, and
// checking in the same write transaction that each is still valid, is the
// Runner's job.
package matching
