package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/clarynext/usermgmt/infra/config"
)

const projectionsUsage = `usage: usermgmt projections rebuild [name ...]

Rebuilds read models from the whole event log (every projector when no
name is given), showing progress. Needs REDIS_URL: in the embedded mode the
read models live in the server's memory and are rebuilt at every start.
Refused while a server runs the projector (stop it first).`

// projectionsCmd runs `usermgmt projections ...`.
func projectionsCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rebuild" {
		return errors.New(projectionsUsage)
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	if cfg.RedisURL == "" {
		return errors.New("projections rebuild needs REDIS_URL; in the embedded mode read models are rebuilt at every start")
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := newApp(ctx, cfg, logger, nil)
	if err != nil {
		return err
	}
	defer a.close()

	names := args[1:]
	if len(names) == 0 {
		for _, r := range a.runners {
			names = append(names, r.Name())
		}
	}
	for _, name := range names {
		r, err := a.runner(name)
		if err != nil {
			return err
		}
		bar := newProgressBar(stdout, name)
		if err := r.Rebuild(ctx, bar.update); err != nil {
			bar.finish(false)
			return err
		}
		bar.finish(true)
	}
	return nil
}

// progressBar draws one line that it rewrites in place:
//
//	users  [##########----------]  50%  1,234,567/2,469,134  61,234/s
type progressBar struct {
	w         io.Writer
	name      string
	start     time.Time
	lastDraw  time.Time
	done, tot uint64
}

func newProgressBar(w io.Writer, name string) *progressBar {
	return &progressBar{w: w, name: name, start: time.Now()}
}

func (p *progressBar) update(done, total uint64) {
	p.done, p.tot = done, total
	if time.Since(p.lastDraw) < 200*time.Millisecond && done < total {
		return
	}
	p.lastDraw = time.Now()
	p.draw("\r")
}

func (p *progressBar) draw(prefix string) {
	const width = 30
	frac := 1.0
	if p.tot > 0 {
		frac = float64(p.done) / float64(p.tot)
	}
	filled := int(frac * width)
	rate := float64(p.done) / max(time.Since(p.start).Seconds(), 1e-9)
	fmt.Fprintf(p.w, "%s%-12s [%s%s] %3.0f%%  %d/%d  %.0f/s", prefix, p.name,
		strings.Repeat("#", filled), strings.Repeat("-", width-filled), frac*100, p.done, p.tot, rate)
}

func (p *progressBar) finish(ok bool) {
	p.draw("\r")
	if ok {
		fmt.Fprintf(p.w, "  done in %s\n", time.Since(p.start).Round(time.Millisecond))
		return
	}
	fmt.Fprintln(p.w, "  failed")
}
