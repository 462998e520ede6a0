package dissent

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The deployment's vocabulary (SPEC §2): the classification markings a
// message may carry, the policy topics it may belong to and the distribution
// tiers it may be addressed to. Markings are ordered, lowest first, in the
// order they were added; the deployment's highest accredited level
// (ServiceConfig.AccreditedLevel) caps what a message may be marked. A
// retired entry can no longer be chosen but stays on the messages that carry
// it.

// VocabKind is one of the three lists.
type VocabKind string

// The kinds of vocabulary.
const (
	VocabClassification VocabKind = "classification"
	VocabTopic          VocabKind = "topic"
	VocabTier           VocabKind = "tier"
)

// VocabKinds lists the kinds in a fixed order.
var VocabKinds = []VocabKind{VocabClassification, VocabTopic, VocabTier}

// MaxVocabName caps the length of an entry's name; MaxRelated caps the
// related messages a message may name.
const (
	MaxVocabName = 100
	MaxRelated   = 20
)

// ParseVocabKind parses a kind, naming field in the error.
func ParseVocabKind(field, s string) (VocabKind, error) {
	k := VocabKind(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(VocabKinds, k) {
		return k, nil
	}
	return "", errInvalid(field, "unknown_kind", "unknown kind %q; want classification, topic or tier", s)
}

// VocabEntry is one entry of the vocabulary.
type VocabEntry struct {
	Kind    VocabKind
	Name    string
	Ord     int // order within the kind; for markings, the level (higher is more restricted)
	Created time.Time
	Retired time.Time // zero while in use
}

// Vocabulary is the three lists, each in order.
type Vocabulary struct {
	Classifications, Topics, Tiers []VocabEntry
	// Accredited is the deployment's highest accredited marking ("" when
	// none is configured: every marking is allowed).
	Accredited string
}

// Of returns the list of one kind.
func (v Vocabulary) Of(k VocabKind) []VocabEntry {
	switch k {
	case VocabClassification:
		return v.Classifications
	case VocabTopic:
		return v.Topics
	}
	return v.Tiers
}

func (v Vocabulary) find(k VocabKind, name string) (VocabEntry, bool) {
	for _, e := range v.Of(k) {
		if e.Name == name {
			return e, true
		}
	}
	return VocabEntry{}, false
}

// VocabularyTx stores the vocabulary.
type VocabularyTx interface {
	// AddVocab stores a new entry at the end of its kind's list (its Ord is
	// set by the store); an existing name is a KindConflict with Field
	// "name".
	AddVocab(ctx context.Context, e VocabEntry) (VocabEntry, error)
	// RetireVocab marks an entry retired; a missing one is KindNotFound.
	RetireVocab(ctx context.Context, kind VocabKind, name string, at time.Time) error
	// Vocab lists every entry, retired ones included, by kind and order.
	Vocab(ctx context.Context) ([]VocabEntry, error)
	// TierDistribution returns each tier's default distribution list
	// (principals' e-mail addresses, sorted); SetTierDistribution replaces
	// one tier's list.
	TierDistribution(ctx context.Context) (map[string][]string, error)
	SetTierDistribution(ctx context.Context, tier string, emails []string) error
}

func checkVocabName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if err := checkText("name", name, MaxVocabName, false, true); err != nil {
		return "", err
	}
	return name, nil
}

// AddVocabulary adds an entry; markings are added in rising order of
// restriction.
func (s *Service) AddVocabulary(ctx context.Context, a Actor, kind VocabKind, name string) (VocabEntry, error) {
	if err := permit(a, ActManageVocabulary); err != nil {
		return VocabEntry{}, err
	}
	if _, err := ParseVocabKind("kind", string(kind)); err != nil {
		return VocabEntry{}, err
	}
	name, err := checkVocabName(name)
	if err != nil {
		return VocabEntry{}, err
	}
	var out VocabEntry
	err = s.store.Update(ctx, func(tx Tx) error {
		now := s.now().UTC()
		var err error
		if out, err = tx.AddVocab(ctx, VocabEntry{Kind: kind, Name: name, Created: now}); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, Event{At: now, ActorID: a.ID, ActorRole: RoleAdmin, Kind: "vocabulary.added",
			Detail: string(kind) + " " + strconv.Itoa(out.Ord)})
	})
	return out, err
}

// RetireVocabulary retires an entry: it can no longer be chosen, and stays
// on the messages that carry it.
func (s *Service) RetireVocabulary(ctx context.Context, a Actor, kind VocabKind, name string) error {
	if err := permit(a, ActManageVocabulary); err != nil {
		return err
	}
	if _, err := ParseVocabKind("kind", string(kind)); err != nil {
		return err
	}
	name, err := checkVocabName(name)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx Tx) error {
		now := s.now().UTC()
		if err := tx.RetireVocab(ctx, kind, name, now); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, Event{At: now, ActorID: a.ID, ActorRole: RoleAdmin, Kind: "vocabulary.retired", Detail: string(kind)})
	})
}

// GetVocabulary returns the vocabulary. It is configuration, not content:
// anyone signed in may read it (the editor offers it).
func (s *Service) GetVocabulary(ctx context.Context) (Vocabulary, error) {
	var v Vocabulary
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		v, err = s.vocabulary(ctx, tx)
		return err
	})
	return v, err
}

func (s *Service) vocabulary(ctx context.Context, tx Tx) (Vocabulary, error) {
	es, err := tx.Vocab(ctx)
	if err != nil {
		return Vocabulary{}, err
	}
	v := Vocabulary{Accredited: s.accredited}
	for _, e := range es {
		switch e.Kind {
		case VocabClassification:
			v.Classifications = append(v.Classifications, e)
		case VocabTopic:
			v.Topics = append(v.Topics, e)
		case VocabTier:
			v.Tiers = append(v.Tiers, e)
		}
	}
	return v, nil
}

// checkTerm checks a message's value for one kind: "" (none) or an entry in
// use; a retired entry only when the message already carries it (old).
func (v Vocabulary) checkTerm(field string, k VocabKind, value, old string) error {
	if value == "" {
		return nil
	}
	e, ok := v.find(k, value)
	if !ok {
		return &Error{Kind: KindInvalid, Code: "unknown_value", Field: field,
			Message: field + " " + strconv.Quote(value) + " is not in the deployment's vocabulary"}
	}
	if !e.Retired.IsZero() && value != old {
		return &Error{Kind: KindInvalid, Code: "retired_value", Field: field,
			Message: field + " " + strconv.Quote(value) + " is retired and can no longer be chosen"}
	}
	if k == VocabClassification && v.Accredited != "" {
		top, ok := v.find(VocabClassification, v.Accredited)
		if !ok || e.Ord > top.Ord {
			return &Error{Kind: KindUnprocessable, Code: "above_accreditation", Field: field,
				Message: field + " " + strconv.Quote(value) + " is above the highest level this deployment is accredited for (" + v.Accredited + ")"}
		}
	}
	return nil
}

// SetAccreditedLevel sets the highest marking the deployment is accredited
// for ("" for none); call it before serving.
func (s *Service) SetAccreditedLevel(name string) { s.accredited = name }

// AdminVocabulary returns the vocabulary for the page that manages it; only
// those who may manage it get it (others: Forbidden, as for any admin page).
func (s *Service) AdminVocabulary(ctx context.Context, a Actor) (Vocabulary, error) {
	if err := permit(a, ActManageVocabulary); err != nil {
		return Vocabulary{}, err
	}
	return s.GetVocabulary(ctx)
}

// MaxTierDistribution caps a tier's default distribution list.
const MaxTierDistribution = 100

// TierDistributions returns each tier's default distribution list, for the
// channel office, which keeps them (ActManageTiers).
func (s *Service) TierDistributions(ctx context.Context, a Actor) (map[string][]string, error) {
	if err := permit(a, ActManageTiers); err != nil {
		return nil, err
	}
	var out map[string][]string
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = tx.TierDistribution(ctx)
		return err
	})
	return out, err
}

// SetTierDistribution replaces a tier's default distribution list: the
// principals a message addressed to the tier is offered for distribution to.
func (s *Service) SetTierDistribution(ctx context.Context, a Actor, tier string, emails []string) error {
	if err := permit(a, ActManageTiers); err != nil {
		return err
	}
	if len(emails) > MaxTierDistribution {
		return &Error{Kind: KindInvalid, Code: "too_many", Field: "emails", Limit: MaxTierDistribution,
			Message: "emails may list at most " + strconv.Itoa(MaxTierDistribution) + " principals"}
	}
	norm := make([]string, len(emails))
	for i, e := range emails {
		var err error
		if norm[i], err = NormalizeEmail(fieldIndex("emails", i), e); err != nil {
			return err
		}
	}
	return s.store.Update(ctx, func(tx Tx) error {
		v, err := s.vocabulary(ctx, tx)
		if err != nil {
			return err
		}
		e, ok := v.find(VocabTier, tier)
		if !ok {
			return &Error{Kind: KindInvalid, Code: "unknown_value", Field: "tier", Message: "tier " + strconv.Quote(tier) + " is not in the deployment's vocabulary"}
		}
		people, err := tx.PeopleByEmail(ctx, norm)
		if err != nil {
			return err
		}
		for i, em := range norm {
			if p, ok := people[em]; !ok || !eligibleRecipient(p) {
				return &Error{Kind: KindUnprocessable, Code: "not_eligible", Field: fieldIndex("emails", i), Message: "no principal with the address " + em}
			}
		}
		if err := tx.SetTierDistribution(ctx, tier, norm); err != nil {
			return err
		}
		now := s.now().UTC()
		return tx.AppendEvent(ctx, Event{At: now, ActorID: a.ID, ActorRole: eventRole(a, ActManageTiers, Facts{}), Kind: "tier.distribution_set",
			Detail: "tier " + strconv.Itoa(e.Ord) + " " + strconv.Itoa(len(norm)) + " principals"})
	})
}
