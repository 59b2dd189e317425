package telegramtest

import (
	"time"

	tele "gopkg.in/telebot.v3"
)

// StartEchoBot starts, against s, a bare telebot bot with telebot's own
// long poller that echoes every text: the baseline the bot's benchmarks
// compare Multaque with (BenchmarkEchoBot). stop stops it.
func (s *Server) StartEchoBot() (stop func(), err error) {
	tb, err := tele.NewBot(tele.Settings{URL: s.URL(), Token: s.Token(), Poller: &tele.LongPoller{Timeout: time.Second},
		OnError: func(error, tele.Context) {}})
	if err != nil {
		return nil, err
	}
	tb.Handle(tele.OnText, func(c tele.Context) error { return c.Send(c.Text()) })
	go tb.Start()
	return tb.Stop, nil
}
