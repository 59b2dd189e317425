package multaque_test

import (
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque"
)

func TestPoolGroupValidate(t *testing.T) {
	valid := func(edit func(g *multaque.PoolGroup)) *multaque.PoolGroup {
		g := &multaque.PoolGroup{Chat: -1001, Title: "Spare 1", AddedBy: 7, AddedAt: created,
			Status: multaque.PoolUsed, Team: "t3", UpdatedAt: created}
		if edit != nil {
			edit(g)
		}
		return g
	}
	tests := []struct {
		name string
		edit func(*multaque.PoolGroup)
		want string
	}{
		{"used", nil, ""},
		{"free", func(g *multaque.PoolGroup) { g.Status, g.Team = multaque.PoolFree, "" }, ""},
		{"broken with a reason", func(g *multaque.PoolGroup) { g.Status, g.Team, g.Reason = multaque.PoolBroken, "", "deleted" }, ""},
		{"private chat", func(g *multaque.PoolGroup) { g.Chat = 5 }, "not a group id"},
		{"unknown status", func(g *multaque.PoolGroup) { g.Status = "spare" }, "unknown status"},
		{"nobody added it", func(g *multaque.PoolGroup) { g.AddedBy = 0 }, "added by nobody"},
		{"no time", func(g *multaque.PoolGroup) { g.AddedAt = time.Time{} }, "no time added"},
		{"used without team", func(g *multaque.PoolGroup) { g.Team = "" }, "names its team"},
		{"free with team", func(g *multaque.PoolGroup) { g.Status = multaque.PoolFree }, "names its team"},
		{"bad team id", func(g *multaque.PoolGroup) { g.Team = "t/3" }, "bad team id"},
		{"title too long", func(g *multaque.PoolGroup) { g.Title = strings.Repeat("é", 129) }, "title"},
		{"reason too long", func(g *multaque.PoolGroup) {
			g.Status, g.Team, g.Reason = multaque.PoolBroken, "", strings.Repeat("x", multaque.MaxPoolReasonLen+1)
		}, "reason"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := valid(tt.edit).Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate()=%v, want nil", err)
				}
				return
			}
			if code := multaque.ErrorCode(err); code != multaque.EINVALID {
				t.Fatalf("ErrorCode(Validate())=%q, want %q (err %v)", code, multaque.EINVALID, err)
			}
			if msg := multaque.ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Errorf("Validate() message %q, want it to contain %q", msg, tt.want)
			}
		})
	}
}
