package telegramtest_test

import (
	"fmt"
	"io"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/multaque/multaque/bot/telegramtest"
	tele "gopkg.in/telebot.v3"
)

// TestEchoBotUnderLoad has 2,000 people send 5 messages each to a telebot
// echo bot (default HTTP client, as in production) and checks that every
// one gets exactly their 5 echoes.
func TestEchoBotUnderLoad(t *testing.T) {
	users, perUser := 2000, 5
	if testing.Short() {
		users = 200
	}
	srv := newServer(t, telegramtest.WithWaitTimeout(60*time.Second))
	b, err := tele.NewBot(tele.Settings{URL: srv.URL(), Token: srv.Token(), Poller: &tele.LongPoller{Timeout: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	log := &errorLog{}
	b.Handle(tele.OnText, func(c tele.Context) error { return c.Send("echo: " + c.Text()) })
	start(t, b, log)

	people := make([]*telegramtest.User, users)
	for i := range people {
		people[i] = srv.NewUser(fmt.Sprintf("U%d", i), "ca")
	}
	begin := time.Now()
	var wg sync.WaitGroup
	for _, u := range people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range perUser {
				u.Send(fmt.Sprintf("m%d-%d", u.ID, k))
			}
		}()
	}
	wg.Wait()
	for _, u := range people {
		msgs := u.WaitUntil(t, "5 echoes", func(ms []telegramtest.Message) bool { return countFromBot(ms) >= perUser })
		var got, want []string
		for _, m := range msgs {
			if m.FromBot {
				got = append(got, m.Text)
			}
		}
		for k := range perUser {
			want = append(want, fmt.Sprintf("echo: m%d-%d", u.ID, k))
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("%s got %v, want %v", u.FirstName, got, want)
		}
	}
	elapsed := time.Since(begin)
	st := srv.Stats()
	t.Logf("%d updates echoed in %v (%.0f messages/s); %d API requests, %d getUpdates calls",
		users*perUser, elapsed.Round(time.Millisecond), float64(users*perUser)/elapsed.Seconds(), st.Requests, len(srv.Calls("getUpdates")))
	if st.Sent != int64(users*perUser) {
		t.Fatalf("Sent = %d, want %d", st.Sent, users*perUser)
	}
}

// BenchmarkSendMessage measures sendMessage through telebot against the fake,
// from parallel goroutines writing to 1,000 different chats.
func BenchmarkSendMessage(b *testing.B) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	bot, err := tele.NewBot(tele.Settings{URL: srv.URL(), Token: srv.Token(), Client: srv.Client(), Offline: true})
	if err != nil {
		b.Fatal(err)
	}
	chats := make([]*tele.User, 1000)
	for i := range chats {
		u := srv.NewUser(fmt.Sprintf("B%d", i), "en")
		u.Send("/start")
		chats[i] = &tele.User{ID: u.ID}
	}
	var next sync.Mutex
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		next.Lock()
		to := chats[n%len(chats)]
		n++
		next.Unlock()
		for pb.Next() {
			if _, err := bot.Send(to, "benchmark message with a little text in it"); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkSendMessageRawHTTP measures the server alone: form-encoded
// sendMessage requests from parallel goroutines, no telebot decoding.
func BenchmarkSendMessageRawHTTP(b *testing.B) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	ids := make([]string, 1000)
	for i := range ids {
		u := srv.NewUser(fmt.Sprintf("R%d", i), "en")
		u.Send("/start")
		ids[i] = fmt.Sprint(u.ID)
	}
	endpoint := srv.URL() + "/bot" + srv.Token() + "/sendMessage"
	var next sync.Mutex
	n := 0
	b.ResetTimer()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		next.Lock()
		form := url.Values{"chat_id": {ids[n%len(ids)]}, "text": {"benchmark message with a little text in it"}}
		n++
		next.Unlock()
		for pb.Next() {
			resp, err := srv.Client().PostForm(endpoint, form)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
