package telegramtest_test

import (
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestProbe4(t *testing.T) {
	srv := newServer(t)
	for _, method := range []string{"getMe", "sendMessage", "getChat"} {
		for _, par := range []int{1, 2, 16} {
			var wg sync.WaitGroup
			start := time.Now()
			n := 4000
			for range par {
				u := srv.NewUser("A", "en")
				u.Send("/start")
				wg.Add(1)
				go func() {
					defer wg.Done()
					body := `{"chat_id":` + strconv.FormatInt(u.ID, 10) + `,"text":"x"}`
					for range n / par {
						resp, err := srv.Client().Post(srv.URL()+"/bot"+srv.Token()+"/"+method, "application/json", strings.NewReader(body))
						if err != nil {
							t.Error(err)
							return
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				}()
			}
			wg.Wait()
			t.Logf("%s par %d: %.0f req/s", method, par, float64(n)/time.Since(start).Seconds())
		}
	}
}
