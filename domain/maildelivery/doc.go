// Package maildelivery is the record of what became of each mail the
// service was asked to send: one stream per causing event,
// "mail-{eventID}", holding exactly one outcome: sent, skipped (the link
// was dead by the time the mail went out, or there was no address) or
// failed (given up).
//
// The record is what makes the outbox send a mail once although its queue
// delivers at least once: a dispatcher that finds the stream written does
// not send again. It holds no address, no name and no token: the recipient
// is the user in the user stream, and the link is minted from IDs that the
// user stream keeps, so the record needs no erasure.
package maildelivery
