package main

import (
	"context"
	"errors"
	"io"
)

const devUsage = `usage: usermgmt dev <load|seed> [flags]

  dev load --url URL --clients N --duration D   load-test CreateUser over HTTP
  dev seed --users N [--concurrency C]          create a realistic data set`

// devCmd runs the developer tools: the load tool and the data-set seeder.
func devCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(devUsage)
	}
	switch args[0] {
	case "load":
		return loadCmd(ctx, args[1:], getenv, stdout)
	case "seed":
		return seedCmd(ctx, args[1:], getenv, stdout, stderr)
	default:
		return errors.New(devUsage)
	}
}
