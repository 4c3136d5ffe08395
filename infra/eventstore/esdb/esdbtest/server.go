// Package esdbtest is an in-process gRPC server that speaks EventStoreDB's
// Streams protocol over any eventstore.Store, so that the EventStoreDB
// adapter and its client can be tested without an EventStoreDB. Test code
// only.
//
// The server answers the way EventStoreDB does where the client depends on
// it:
//   - every event carries the "type", "content-type" and "created"
//     metadata entries ("created" in .NET ticks since the Unix epoch; the
//     client exits the process without it);
//   - a plain read answers only events or StreamNotFound;
//   - an idempotent retry of an append succeeds without a position;
//   - a wrong expected version is an AppendResp for an append, but a
//     FailedPrecondition status for a Delete or Tombstone, with the
//     trailers exception=wrong-expected-version, stream-name,
//     expected-version and actual-version;
//   - a deleted stream is a FailedPrecondition status with the trailers
//     exception=stream-deleted and stream-name (the client panics without
//     stream-name);
//   - Delete and Tombstone answers always carry a position (the client
//     panics on NoPosition);
//   - reading $all forwards from a position includes it, backwards excludes
//     it, and a subscription starts strictly after it;
//   - stream metadata lives in the stream "$$<stream>" as "$metadata"
//     events; the server maps it onto the backend's stream metadata, and the
//     backend enforces it.
//
// Only the Streams service is served. The client tolerates the missing
// server-features service (Unimplemented), and needs gossip only for
// cluster connection strings.
package esdbtest

import (
	"fmt"
	"net"
	"sync"

	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// Server serves the Streams protocol over a backend store. Its methods are
// safe for concurrent use.
type Server struct {
	streams *streams

	mu   sync.Mutex
	addr string       // chosen by the first Start, kept across Stop
	grpc *grpc.Server // nil while stopped
	lis  net.Listener // the listener grpc serves, nil while stopped
}

// NewServer returns a stopped server over backend. The server never closes
// backend.
func NewServer(backend eventstore.Store) *Server {
	return &Server{streams: newStreams(backend)}
}

// Start listens on 127.0.0.1 without TLS and serves until Stop or Close.
// The first Start picks a free port; a Start after Stop listens on the same
// port again, so that clients can reconnect. It returns the connection
// string, like "esdb://127.0.0.1:41234?tls=false".
func (s *Server) Start() (connString string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.grpc != nil {
		return s.connString(), nil
	}
	addr := s.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("esdbtest: listen on %s: %w", addr, err)
	}
	s.addr = lis.Addr().String()
	srv := grpc.NewServer(grpc.WaitForHandlers(true))
	api.RegisterStreamsServer(srv, s.streams)
	s.grpc, s.lis = srv, lis
	go func() { _ = srv.Serve(lis) }()
	return s.connString(), nil
}

// ConnString returns the connection string of the address the server
// listens on, or will listen on again after Stop; "" before the first Start.
func (s *Server) ConnString() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.addr == "" {
		return ""
	}
	return s.connString()
}

// Addr is the host:port the server listens on, empty before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

func (s *Server) connString() string {
	return "esdb://" + s.addr + "?tls=false"
}

// Stop closes the listener and every connection, failing the calls in
// flight, and waits for their handlers. The server can Start again.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.grpc == nil {
		return
	}
	s.grpc.Stop()
	// Serve may not have taken the listener yet, and then closes it only
	// later: close it now, so that the port is free for the next Start.
	_ = s.lis.Close()
	s.grpc, s.lis = nil, nil
}

// Close stops the server. It does not close the backend.
func (s *Server) Close() {
	s.Stop()
}

// DropSubscriptions ends every active subscription with an Aborted status,
// as a server that drops its subscribers does. The connections stay up.
func (s *Server) DropSubscriptions() {
	s.streams.subs.dropAll()
}
