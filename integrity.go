package dissent

import (
	"context"
	"fmt"
)

// CheckDeadlines checks that every submitted message's clocks make sense
// on the channel office's calendar, for `dissent verify`: submitted,
// acknowledged and replied in that order; the acknowledgement due the
// working days after submission the rule gives; the reply period between
// its default and its limit and the reply due that many working days after
// submission. Closures added after a submission may shorten the count by
// one working day each, which is allowed. It names the first message that
// fails.
func (s *Service) CheckDeadlines(ctx context.Context) (int, error) {
	n := 0
	err := s.store.View(ctx, func(tx Tx) error {
		orgs, err := tx.Orgs(ctx)
		if err != nil || len(orgs) == 0 {
			return err
		}
		cal, err := s.officeCalendar(ctx, tx)
		if err != nil {
			return err
		}
		closures, err := tx.Closures(ctx, orgs[0].ID)
		if err != nil {
			return err
		}
		slack := len(closures)
		metas, err := tx.SubmittedMeta(ctx, MetaQuery{Now: s.now().UTC(), Fresh: true})
		if err != nil {
			return err
		}
		for _, m := range metas {
			n++
			bad := func(what string) error {
				return fmt.Errorf("message %s: %s (submitted %s, acknowledge by %s, reply by %s, %d working days)", m.ID, what,
					m.SubmittedAt.Format("2006-01-02T15:04Z07:00"), m.AcknowledgeBy.Format("2006-01-02"), m.ReplyBy.Format("2006-01-02"), m.ReplyDays)
			}
			switch {
			case m.SubmittedAt.IsZero():
				return bad("no time of submission")
			case !m.AcknowledgedAt.IsZero() && m.AcknowledgedAt.Before(m.SubmittedAt):
				return bad("acknowledged before it was submitted")
			case !m.RepliedAt.IsZero() && m.RepliedAt.Before(m.SubmittedAt):
				return bad("replied to before it was submitted")
			case !m.RepliedAt.IsZero() && !m.AcknowledgedAt.IsZero() && m.RepliedAt.Before(m.AcknowledgedAt):
				return bad("replied to before it was acknowledged")
			case m.ReplyDays < DefaultReplyDay || m.ReplyDays > MaxReplyDays:
				return bad(fmt.Sprintf("a reply period outside %d to %d working days", DefaultReplyDay, MaxReplyDays))
			}
			if wd := cal.WorkingDaysBetween(m.SubmittedAt, m.AcknowledgeBy); wd > DefaultAckDays || wd < DefaultAckDays-slack {
				return bad(fmt.Sprintf("acknowledgement due %d working days after submission, not %d", wd, DefaultAckDays))
			}
			if wd := cal.WorkingDaysBetween(m.SubmittedAt, m.ReplyBy); wd > m.ReplyDays || wd < m.ReplyDays-slack {
				return bad(fmt.Sprintf("reply due %d working days after submission, not %d", wd, m.ReplyDays))
			}
		}
		return nil
	})
	return n, err
}
