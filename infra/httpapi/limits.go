package httpapi

import (
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/clarynext/usermgmt/infra/ratelimit"
)

// limitCheck is one rate limit a request counts against.
type limitCheck struct {
	rule   ratelimit.Rule
	key    string // empty: nothing to count against (no address given)
	detail string // names the limit, never the key
}

// withinLimits counts the request against each check in turn. Over a limit
// it answers 429 with Retry-After and returns false. Without a limiter
// everything is within limits.
func withinLimits(deps Deps, w http.ResponseWriter, r *http.Request, checks []limitCheck) bool {
	if deps.Limiter == nil {
		return true
	}
	for _, c := range checks {
		if c.key == "" {
			continue
		}
		d, err := deps.Limiter.Allow(r.Context(), c.rule, c.key)
		if err != nil {
			respondError(deps.Logger, w, r, fmt.Errorf("rate limit %s: %w", c.rule.Name, err))
			return false
		}
		if !d.Allowed {
			secs := max(int(math.Ceil(d.RetryAfter.Seconds())), 1)
			writeProblem(w, r, problem{
				Type: "too-many-requests", Status: http.StatusTooManyRequests,
				Detail: fmt.Sprintf("%s; retry in %d s", c.detail, secs), retryAfter: secs,
			})
			return false
		}
	}
	return true
}

// PublicLimits are the rate limits of the public onboarding endpoints, per
// client IP and per account (the email address, or the link's token). A
// rule left zero takes its default:
//
//   - ForgotPerIP 10 a minute; ForgotPerAccount 3 an hour (each one mails)
//   - RegisterPerIP 10 an hour, bursts of 5; RegisterPerAccount 3 an hour
//   - VerifyPerIP 20 a minute (verify and resend); VerifyPerAccount 5 an
//     hour (resends per address, attempts per link)
//   - LinkPerIP 20 a minute; LinkPerToken 10 an hour (accepting an
//     invitation, completing a reset: each attempt may cost argon2)
type PublicLimits struct {
	ForgotPerIP, ForgotPerAccount     ratelimit.Rule
	RegisterPerIP, RegisterPerAccount ratelimit.Rule
	VerifyPerIP, VerifyPerAccount     ratelimit.Rule
	LinkPerIP, LinkPerToken           ratelimit.Rule
}

func (l PublicLimits) withDefaults() PublicLimits {
	def := func(r *ratelimit.Rule, d ratelimit.Rule) {
		if *r == (ratelimit.Rule{}) {
			*r = d
		}
	}
	def(&l.ForgotPerIP, ratelimit.Rule{Name: "forgot-ip", Rate: 10, Period: time.Minute, Burst: 10})
	def(&l.ForgotPerAccount, ratelimit.Rule{Name: "forgot-account", Rate: 3, Period: time.Hour, Burst: 3})
	def(&l.RegisterPerIP, ratelimit.Rule{Name: "register-ip", Rate: 10, Period: time.Hour, Burst: 5})
	def(&l.RegisterPerAccount, ratelimit.Rule{Name: "register-account", Rate: 3, Period: time.Hour, Burst: 3})
	def(&l.VerifyPerIP, ratelimit.Rule{Name: "verify-ip", Rate: 20, Period: time.Minute, Burst: 20})
	def(&l.VerifyPerAccount, ratelimit.Rule{Name: "verify-account", Rate: 5, Period: time.Hour, Burst: 5})
	def(&l.LinkPerIP, ratelimit.Rule{Name: "link-ip", Rate: 20, Period: time.Minute, Burst: 20})
	def(&l.LinkPerToken, ratelimit.Rule{Name: "link-token", Rate: 10, Period: time.Hour, Burst: 10})
	return l
}

func (l PublicLimits) forgot(ip, email string) []limitCheck {
	return []limitCheck{
		{l.ForgotPerIP, ipKey(ip), "too many password reset requests from this IP address"},
		{l.ForgotPerAccount, accountKey(email), "too many password reset requests for this account"},
	}
}

func (l PublicLimits) register(ip, email string) []limitCheck {
	return []limitCheck{
		{l.RegisterPerIP, ipKey(ip), "too many sign-ups from this IP address"},
		{l.RegisterPerAccount, accountKey(email), "too many sign-ups for this address"},
	}
}

// verify limits verification; key is a link's (tokenKey) or an address's
// (accountKey).
func (l PublicLimits) verify(ip, key string) []limitCheck {
	return []limitCheck{
		{l.VerifyPerIP, ipKey(ip), "too many verification requests from this IP address"},
		{l.VerifyPerAccount, key, "too many verification requests for this account"},
	}
}

func (l PublicLimits) link(ip, token string) []limitCheck {
	return []limitCheck{
		{l.LinkPerIP, ipKey(ip), "too many attempts from this IP address"},
		{l.LinkPerToken, tokenKey(token), "too many attempts with this link"},
	}
}
