package bot

import (
	"context"

	"github.com/multaque/multaque/bot/tg"

	"github.com/multaque/multaque"
)

// onPrivacy is /privacy: the privacy notice of the consent screen, to
// anyone at any time, consent or not, so that nobody has to agree to find
// out what they would be agreeing to. Mentors and coordinators also read
// what is kept about them in that role. It answers in the language of the
// person's record (citizen, else mentor), else in Telegram's.
func (b *citizens) onPrivacy(ctx context.Context, c *tg.Context, cz *multaque.Citizen, lang multaque.Lang) error {
	id := c.Sender().ID
	m, _, err := b.mentors.mentorOf(ctx, id)
	if err != nil {
		return err
	}
	coord, err := b.coordinator(ctx, id)
	if err != nil {
		return err
	}
	if cz == nil && m != nil && m.Lang.Valid() {
		lang = m.Lang
	}
	text := b.view.t(lang, "privacy")
	if m != nil {
		text += "\n\n" + b.view.t(lang, "privacy_mentor")
	}
	if coord != nil {
		text += "\n\n" + b.view.t(lang, "privacy_coordinator")
	}
	if ps, err := b.pledges.store.PledgesOf(ctx, id); err == nil && len(ps) > 0 {
		text += "\n\n" + b.view.t(lang, "privacy_pledges") // pledges.go
	}
	return b.send(ctx, c.Recipient(), view{Text: text})
}
