package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
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
		return nil, fmt.Errorf("http listen: %w", err)
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
	log.Info().Str("listen", s.addr.String()).Msg("serving /healthz and /metrics")
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
