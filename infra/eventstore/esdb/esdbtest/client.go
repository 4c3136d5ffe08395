package esdbtest

import (
	"fmt"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
)

// NewClient returns a raw EventStoreDB client connected to connString (as
// Start returns it), with the client's own logging off, for tests of the
// protocol itself. The caller closes it.
func NewClient(connString string) (*esdb.Client, error) {
	config, err := esdb.ParseConnectionString(connString)
	if err != nil {
		return nil, fmt.Errorf("esdbtest: parse %s: %w", connString, err)
	}
	config.Logger = esdb.NoopLogging()
	c, err := esdb.NewClient(config)
	if err != nil {
		return nil, fmt.Errorf("esdbtest: new client: %w", err)
	}
	return c, nil
}
