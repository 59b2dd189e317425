package telegramtest_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/multaque/multaque/bot/telegramtest"
	tele "gopkg.in/telebot.v3"
)

// A bot that answers /start, driven by a simulated person.
func Example() {
	srv := telegramtest.NewServer()
	defer srv.Close()

	b, err := tele.NewBot(tele.Settings{URL: srv.URL(), Token: srv.Token(), Poller: &tele.LongPoller{Timeout: time.Second}})
	if err != nil {
		panic(err)
	}
	b.Handle("/start", func(c tele.Context) error {
		return c.Send("Hola, <b>"+c.Sender().FirstName+"</b>!", tele.ModeHTML)
	})
	go b.Start()
	defer b.Stop()

	anna := srv.NewUser("Anna", "ca")
	anna.Send("/start")
	for {
		if m, ok := anna.LastFromBot(); ok {
			fmt.Println(m.Text, m.ParseMode)
			break
		}
		time.Sleep(time.Millisecond)
	}
	// Output: Hola, Anna! HTML
}

// Errors come back worded as Telegram words them, so telebot decodes them.
func ExampleUser_Block() {
	srv := telegramtest.NewServer()
	defer srv.Close()
	b, _ := tele.NewBot(tele.Settings{URL: srv.URL(), Token: srv.Token(), Offline: true})

	pau := srv.NewUser("Pau", "ca")
	pau.Send("/start")
	pau.Block()
	_, err := b.Send(&tele.User{ID: pau.ID}, "Your team is ready")
	fmt.Println(err)
	// Output: telegram: bot was blocked by the user (403)
}

// A basic group upgraded to a supergroup: writes to the old id are refused
// with the new one, which telebot hands over as a GroupError.
func ExampleGroup_Upgrade() {
	srv := telegramtest.NewServer()
	defer srv.Close()
	b, _ := tele.NewBot(tele.Settings{URL: srv.URL(), Token: srv.Token(), Offline: true})

	carme := srv.NewUser("Carme", "ca")
	g := srv.NewBasicGroup("Energia · Gràcia", carme)
	g.AddBot(carme, telegramtest.BotAdminRights)
	sg := g.Upgrade(carme)

	_, err := b.Send(&tele.Chat{ID: g.ID}, "Hola")
	var migrated tele.GroupError
	if errors.As(err, &migrated) && migrated.MigratedTo == sg.ID {
		fmt.Println("moved to the supergroup, titled", sg.Title())
	}
	// Output: moved to the supergroup, titled Energia · Gràcia
}
