package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/fakeusers"
)

// seedCmd creates a realistic data set through the real command path:
//
//	usermgmt dev seed --users 100000 [--concurrency 64] [--offset 0]
//
// Every user is created by commands.Users (email reservation included) with
// its generated creation date; 12% are then suspended, 1% soft-deleted, and
// one in 200 gets an admin note. The embedded store is locked by a running
// server, so seed with the server stopped; the server projects the new
// events when it starts.
func seedCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev seed", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	n := fs.Int("users", 1000, "how many users to create")
	offset := fs.Int("offset", 0, "index of the first generated user (to add more later)")
	concurrency := fs.Int("concurrency", 64, "concurrent creates")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("dev seed: %w", err)
	}
	if *n < 1 || *concurrency < 1 || *offset < 0 {
		return errors.New("dev seed: want --users >= 1, --concurrency >= 1, --offset >= 0")
	}
	a, err := openCLIApp(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.close()

	pop := fakeusers.New(*offset + *n)
	md := commands.System("seed")
	if err := seedOrgs(ctx, a.orgs, md, pop); err != nil {
		return err
	}
	var next, done, failed atomic.Int64
	next.Store(int64(*offset))
	bar := newProgressBar(stdout, "seed")
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	for range *concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= *offset+*n {
					return
				}
				if err := seedOne(ctx, a.users, md, i, pop.Person(i)); err != nil {
					failed.Add(1)
					errOnce.Do(func() { firstErr = err })
				}
				done.Add(1)
			}
		}()
	}
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				bar.update(uint64(done.Load()), uint64(*n))
			}
		}
	}()
	wg.Wait()
	close(stop)
	bar.update(uint64(done.Load()), uint64(*n))
	bar.finish(failed.Load() == 0)
	if f := failed.Load(); f > 0 {
		return fmt.Errorf("dev seed: %d of %d users failed; first: %w", f, *n, firstErr)
	}
	return ctx.Err()
}

// seedOrgs creates the population's organizations; ones that exist from
// an earlier seed are kept.
func seedOrgs(ctx context.Context, h *commands.Orgs, md commands.Metadata, pop fakeusers.Population) error {
	create := func(id, name string) error {
		_, err := h.Create(ctx, md, id, name)
		var conflict *domain.ConflictError
		if errors.As(err, &conflict) {
			return nil
		}
		return err
	}
	for _, o := range fakeusers.BigOrgs {
		if err := create(o.ID, o.Domain); err != nil {
			return fmt.Errorf("dev seed: organization %s: %w", o.ID, err)
		}
	}
	for k := range pop.SmallOrgs {
		if err := create(fakeusers.SmallOrgID(k), fmt.Sprintf("Small organization %d", k)); err != nil {
			return fmt.Errorf("dev seed: organization %s: %w", fakeusers.SmallOrgID(k), err)
		}
	}
	return nil
}

// seedOne creates generated user i. Common names make some generated
// addresses collide; such a user gets its index in the local part.
func seedOne(ctx context.Context, h *commands.Users, md commands.Metadata, i int, p fakeusers.Person) error {
	cmd := commands.CreateUser{
		Email: p.Email, FirstName: p.FirstName, LastName: p.LastName,
		Roles: p.Roles, OrgID: p.Org, SendInvite: true, At: p.Created,
	}
	res, err := h.Create(ctx, md, cmd)
	var conflict *domain.ConflictError
	if errors.As(err, &conflict) && conflict.Field == "email" {
		local, domainPart, _ := strings.Cut(p.Email, "@")
		cmd.Email = fmt.Sprintf("%s.%d@%s", local, i, domainPart)
		res, err = h.Create(ctx, md, cmd)
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", cmd.Email, err)
	}
	if p.Note != "" {
		if _, err := h.AddNote(ctx, md, res.ID, nil, p.Note); err != nil {
			return err
		}
	}
	switch p.Status {
	case "suspended":
		_, err = h.Suspend(ctx, md, res.ID, nil, "")
	case "deleted":
		_, err = h.Delete(ctx, md, res.ID, nil, user.Soft)
	}
	return err
}
