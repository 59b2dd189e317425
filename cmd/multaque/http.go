package main

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
)

// storeProbe is what /healthz asks of the store: any quick read.
type storeProbe interface {
	OutboxLen(ctx context.Context) (int, error)
}

// operatorHandler serves the operator endpoints: /healthz answers 200 "ok"
// when the store answers a read within two seconds and 503 otherwise;
// /metrics shows what reg gathers, in Prometheus's format.
func operatorHandler(db storeProbe, reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if _, err := db.OutboxLen(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "store unavailable")
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return mux
}

// backupTaker is what POST /backup asks of the store.
type backupTaker interface {
	BackupTemp(ctx context.Context) (*store.TempFile, store.BackupInfo, error)
	Path() string
}

// withBackup adds to h the endpoint POST /backup, which takes a backup of
// db (see store.DB.BackupTemp) and sends it as the response body, for
// `multaque backup` (see ops.go). It answers 403 unless the request comes
// from a loopback address with token in X-Multaque-Token, and 503 while
// the store cannot write the copy. The copy is made beside the database
// and removed once sent; before it, the temporary files that interrupted
// backups, restores and compactions left there are removed.
func withBackup(h http.Handler, db backupTaker, token string, log zerolog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.HandleFunc("POST /backup", func(w http.ResponseWriter, r *http.Request) {
		if !fromOperator(w, r, token, log, "backup") {
			return
		}
		// A large copy takes longer than the server's write timeout.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Hour))
		removed, err := store.SweepDatabaseTemps(db.Path())
		logSwept(log, removed, err)
		backup, info, err := db.BackupTemp(r.Context())
		if err != nil {
			log.Error().Err(err).Msg("backup for a request")
			status := http.StatusInternalServerError
			if multaque.ErrorCode(err) == multaque.EUNAVAILABLE {
				status = http.StatusServiceUnavailable
			}
			http.Error(w, "backup failed", status)
			return
		}
		defer backup.Discard()
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.FormatInt(info.Size, 10))
		w.Header().Set("X-Multaque-Taken-At", info.TakenAt.Format(time.RFC3339Nano))
		w.Header().Set("Cache-Control", "no-store")
		if _, err := io.Copy(w, backup); err != nil {
			log.Warn().Err(err).Msg("backup for a request: sending it failed")
			return
		}
		log.Info().Int64("bytes", info.Size).Dur("took", info.Took).Msg("backup taken for a request")
	})
	return mux
}

// fromOperator reports whether r comes from a loopback address with token
// in X-Multaque-Token; if not, it answers 403 and logs the refusal of what
// was asked.
func fromOperator(w http.ResponseWriter, r *http.Request, token string, log zerolog.Logger, what string) bool {
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	ip := net.ParseIP(host)
	given := r.Header.Get(backupTokenHeader)
	if ip == nil || !ip.IsLoopback() || token == "" || subtle.ConstantTimeCompare([]byte(given), []byte(token)) != 1 {
		log.Warn().Str("remote", host).Msg(what + " refused: not from this machine, or without the token")
		http.Error(w, "forbidden", http.StatusForbidden)
		return false
	}
	return true
}

// liveChecker is what POST /check asks of the store.
type liveChecker interface {
	CheckLive(ctx context.Context, o store.CheckOptions) ([]string, error)
	Path() string
}

// checkAnswer is the body of POST /check's answer.
type checkAnswer struct {
	// Problems are those of store.DB.CheckLive, one line each, naming ids
	// only; none means the database is sound.
	Problems []string `json:"problems"`
}

// withCheck adds to h the endpoint POST /check, which runs the checks of
// `multaque check` on db while it serves (see store.DB.CheckLive), with o
// (the bot's configured coordinators), and answers the problems in JSON,
// for `multaque check` (see ops.go). It refuses what withBackup refuses,
// alike: 403 unless from a loopback address with token, 503 while the
// store cannot write the copy the check runs on. Before the copy, the
// temporary files that interrupted backups, restores and compactions left
// beside the database are removed.
func withCheck(h http.Handler, db liveChecker, o store.CheckOptions, token string, log zerolog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.HandleFunc("POST /check", func(w http.ResponseWriter, r *http.Request) {
		if !fromOperator(w, r, token, log, "check") {
			return
		}
		// A large database takes longer than the server's write timeout.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Hour))
		removed, err := store.SweepDatabaseTemps(db.Path())
		logSwept(log, removed, err)
		start := time.Now()
		problems, err := db.CheckLive(r.Context(), o)
		if err != nil {
			log.Error().Err(err).Msg("check for a request")
			status := http.StatusInternalServerError
			if multaque.ErrorCode(err) == multaque.EUNAVAILABLE {
				status = http.StatusServiceUnavailable
			}
			http.Error(w, "check failed", status)
			return
		}
		// The problems name Telegram ids: the log has their number only.
		log.Info().Int("problems", len(problems)).Dur("took", time.Since(start)).Msg("check made for a request")
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if err := json.NewEncoder(w).Encode(checkAnswer{Problems: problems}); err != nil {
			log.Warn().Err(err).Msg("check for a request: sending the answer failed")
		}
	})
	return mux
}

// operatorServer is the running HTTP server of /healthz and /metrics.
type operatorServer struct {
	srv  *http.Server
	addr net.Addr
	done chan error
}

// startOperatorServer listens on addr and serves h until shutdown.
func startOperatorServer(addr string, h http.Handler, log zerolog.Logger) (*operatorServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http.addr %s: cannot listen (%w); another program, or another Multaque, may use it: choose another http.addr, or leave it empty (MULTAQUE_HTTP_ADDR=off) to turn /healthz and /metrics off", addr, err)
	}
	s := &operatorServer{
		srv:  &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second},
		addr: ln.Addr(),
		done: make(chan error, 1),
	}
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	log.Info().Str("listen", s.addr.String()).Msg("serving /healthz, /readyz and /metrics")
	return s, nil
}

// shutdown stops taking requests and waits for those in flight, up to ctx.
func (s *operatorServer) shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if serr := <-s.done; err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}
