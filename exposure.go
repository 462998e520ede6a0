package dissent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The exposure monitor (SPEC §5) ingests press articles, matches each new
// article against every submitted message and each newly submitted message
// against the stored articles, and stores the findings.
//
// Decisions recorded here:
//   - Articles are public press. They are stored in clear (title, URL, body),
//     not sealed: encrypting public text protects nothing and would make the
//     database key a dependency of the feed poller. Findings hold ids, byte
//     offsets, kinds and a score, never text; that a message has a finding
//     is confidential in the same way as the message's existence, and is
//     shown only to those who may see the findings (ActSeeExposure).
//   - The Service builds the engine's in-memory index from the decrypted
//     bodies of submitted messages. That scan is the system, not a person,
//     reading; it is not recorded as a read. Each finding is recorded as a row
//     in the log's entry of the article or scan that found it (never an entry
//     of its own, so the log's growth does not tell whether an article
//     matched), and every person
//     who opens a finding, and so sees the message's passages, is recorded
//     like any other reader of the text ("read.exposure"), unless an author.

// Limits of articles.
const (
	MaxArticleTitle = 500
	MaxArticleBody  = 500_000 // characters
	MaxURL          = 2000
)

// Article sources.
const (
	SourceUpload    = "upload"
	SourceDirectory = "directory"
	SourceFeed      = "feed"
)

// Article is one press article the monitor holds. Its text is public.
type Article struct {
	ID      int64
	Hash    string // hex SHA-256 of the normalized body: each article is stored once
	Title   string
	URL     string
	Body    string
	Source  string // SourceUpload, SourceDirectory or SourceFeed
	FeedID  int64
	AddedBy PersonID // 0 for the directory and feeds
	Added   time.Time
}

// ArticleInput is an article to ingest.
type ArticleInput struct {
	Title, URL, Body string
}

// Passage is one stretch of an article that reproduces a stretch of a
// message: byte offsets (ends exclusive) into the article's body and the
// message's body, and the kind (verbatim, edited, paraphrase).
type Passage struct {
	ArticleStart int    `json:"article_start"`
	ArticleEnd   int    `json:"article_end"`
	MessageStart int    `json:"message_start"`
	MessageEnd   int    `json:"message_end"`
	Kind         string `json:"kind"`
}

// Finding says that an article exposes a message.
type Finding struct {
	ID        int64
	ArticleID int64
	MessageID MessageID
	Score     float64
	Passages  []Passage
	Found     time.Time
}

// Feed is an RSS or Atom feed the monitor polls.
type Feed struct {
	ID        int64
	URL       string
	AddedBy   PersonID
	Added     time.Time
	PolledAt  time.Time // when an instance last claimed it
	LastError string    // of the last poll, content-free
}

// ExposureText is one submitted message's body given to the engine.
type ExposureText struct {
	ID   MessageID
	Body []byte
}

// ExposureMatch is what the engine finds of one message in one article.
type ExposureMatch struct {
	MessageID MessageID
	Score     float64
	Passages  []Passage
}

// ExposureEngine is the text-reuse engine (internal/exposure, wired by
// cmd/dissent).
type ExposureEngine interface {
	// Index prepares the messages for matching. The index MUST be safe for
	// concurrent use and MUST NOT keep the bodies it was given beyond what
	// matching needs.
	Index(messages []ExposureText) ExposureIndex
}

// ExposureIndex matches articles against indexed messages.
type ExposureIndex interface {
	Match(article []byte) []ExposureMatch
	// Add indexes more messages without rebuilding the index. Matching
	// after Add MUST find what a fresh index of the same messages would,
	// and Add MUST be safe to call while other goroutines match.
	Add(messages []ExposureText)
}

// FeedFetcher reads the items of an RSS or Atom feed (internal/ingest).
type FeedFetcher interface {
	Fetch(ctx context.Context, url string) ([]ArticleInput, error)
}

// ExposureTx is what the exposure monitor needs of a transaction.
type ExposureTx interface {
	// InsertArticle stores a unless an article with the same hash exists;
	// it returns the id of the stored article and whether it is new.
	InsertArticle(ctx context.Context, a Article) (id int64, created bool, err error)
	Article(ctx context.Context, id int64) (Article, error)
	// Articles lists up to limit articles with ids above after, in id order.
	Articles(ctx context.Context, after int64, limit int) ([]Article, error)
	// InsertFinding stores f unless the pair (article, message) has a
	// finding already; it returns the id and whether it is new.
	InsertFinding(ctx context.Context, f Finding) (id int64, created bool, err error)
	Finding(ctx context.Context, id int64) (Finding, error)
	// Findings lists every finding, newest first.
	Findings(ctx context.Context) ([]Finding, error)
	// UnscannedMessages lists the submitted messages not yet matched
	// against the stored articles; MarkScanned records that one was.
	UnscannedMessages(ctx context.Context) ([]MessageID, error)
	MarkScanned(ctx context.Context, id MessageID, at time.Time) error
	// CountSubmitted counts the messages ever submitted.
	CountSubmitted(ctx context.Context) (int, error)
	// AddFeed stores a feed; a second feed with the same URL is a
	// KindConflict error with Field "url".
	AddFeed(ctx context.Context, f Feed) (int64, error)
	Feeds(ctx context.Context) ([]Feed, error)
	// ClaimFeed sets the feed's polled_at to now if it was last polled at
	// or before due, and reports whether it did: of several instances
	// claiming one feed at once, exactly one succeeds.
	ClaimFeed(ctx context.Context, id int64, now, due time.Time) (bool, error)
	SetFeedError(ctx context.Context, id int64, msg string) error
}

// exposureState is the Service's in-memory index of submitted messages.
type exposureState struct {
	engine ExposureEngine
	mu     sync.Mutex
	idx    ExposureIndex
	count  int // submitted messages when idx was last brought up to date; -1 before
	ids    map[MessageID]bool
}

// errNoEngine is returned when the Service has no engine wired.
var errNoEngine = &Error{Kind: KindUnavailable, Code: "no_exposure_engine", Message: "the exposure monitor is not configured"}

// SetExposureEngine wires the text-reuse engine. Without one, articles are
// stored but not matched.
func (s *Service) SetExposureEngine(e ExposureEngine) {
	s.exposureMu.Lock()
	defer s.exposureMu.Unlock()
	s.exposure = &exposureState{engine: e, count: -1}
}

func (s *Service) exposureState() *exposureState {
	s.exposureMu.Lock()
	defer s.exposureMu.Unlock()
	return s.exposure
}

// exposureIndex returns an index of every submitted message. It is built
// once; messages submitted since (here or on another instance) are then
// added to it, not rebuilt: the new ones are among the unscanned messages,
// so only they are read and decrypted, unless the count says some other
// message is missing (a scan on another instance marked it), when every
// submitted message is listed and the missing ones added.
func (s *Service) exposureIndex(ctx context.Context) (ExposureIndex, error) {
	st := s.exposureState()
	if st == nil {
		return nil, errNoEngine
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	var n int
	if err := s.store.View(ctx, func(tx Tx) error {
		var err error
		n, err = tx.CountSubmitted(ctx)
		return err
	}); err != nil {
		return nil, err
	}
	if st.idx != nil && n == st.count {
		return st.idx, nil
	}
	var texts []ExposureText
	if err := s.store.View(ctx, func(tx Tx) error {
		texts = texts[:0]
		if st.idx != nil {
			fresh, err := tx.UnscannedMessages(ctx)
			if err != nil {
				return err
			}
			var missing []MessageID
			for _, id := range fresh {
				if !st.ids[id] {
					missing = append(missing, id)
				}
			}
			if len(st.ids)+len(missing) == n {
				for _, id := range missing {
					m, err := tx.Message(ctx, id)
					if err != nil {
						return err
					}
					texts = append(texts, ExposureText{ID: m.ID, Body: []byte(m.Body.Reveal())})
				}
				return nil
			}
		}
		ms, err := tx.SubmittedMessages(ctx)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if !st.ids[m.ID] {
				texts = append(texts, ExposureText{ID: m.ID, Body: []byte(m.Body.Reveal())})
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if st.idx == nil {
		st.idx, st.ids = st.engine.Index(texts), make(map[MessageID]bool, len(texts))
	} else {
		st.idx.Add(texts)
	}
	for _, t := range texts {
		st.ids[t.ID] = true
	}
	st.count = n
	return st.idx, nil
}

// NormalizeArticle is the text an article's hash is taken over: its words
// separated by single spaces, so that the same article fetched twice with
// other line breaks or indentation is stored once.
func NormalizeArticle(body string) string {
	return strings.Join(strings.Fields(body), " ")
}

// ArticleHash is the hex SHA-256 of the normalized body.
func ArticleHash(body string) string {
	h := sha256.Sum256([]byte(NormalizeArticle(body)))
	return hex.EncodeToString(h[:])
}

func checkArticle(in *ArticleInput, titleRequired bool) error {
	in.Title = strings.TrimSpace(in.Title)
	in.URL = strings.TrimSpace(in.URL)
	if err := checkText("title", in.Title, MaxArticleTitle, false, titleRequired); err != nil {
		return err
	}
	if err := checkURL("url", in.URL); err != nil {
		return err
	}
	if err := checkText("body", in.Body, MaxArticleBody, true, true); err != nil {
		return err
	}
	return nil
}

// checkURL accepts an empty string or an absolute http or https URL.
func checkURL(field, s string) error {
	if s == "" {
		return nil
	}
	if err := checkText(field, s, MaxURL, false, false); err != nil {
		return err
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return errInvalid(field, "malformed_url", "%s must be an absolute http or https URL without credentials", field)
	}
	return nil
}

// AddArticle stores an article an officer or director uploads and matches
// it against every submitted message. An article whose normalized text is
// already stored is not stored again: the stored one is returned with
// created false.
func (s *Service) AddArticle(ctx context.Context, a Actor, in ArticleInput) (Article, bool, error) {
	if err := permit(a, ActAddArticle); err != nil {
		return Article{}, false, err
	}
	if err := checkArticle(&in, true); err != nil {
		return Article{}, false, err
	}
	return s.ingest(ctx, a, SourceUpload, 0, in)
}

// IngestArticle stores an article found by the system (the watched
// directory, a feed) and matches it, like AddArticle.
func (s *Service) IngestArticle(ctx context.Context, source string, feedID int64, in ArticleInput) (Article, bool, error) {
	if in.Title == "" {
		in.Title = "(untitled)"
	}
	if err := checkArticle(&in, false); err != nil {
		return Article{}, false, err
	}
	return s.ingest(ctx, System, source, feedID, in)
}

func (s *Service) ingest(ctx context.Context, a Actor, source string, feedID int64, in ArticleInput) (Article, bool, error) {
	art := Article{Hash: ArticleHash(in.Body), Title: in.Title, URL: in.URL, Body: in.Body, Source: source,
		FeedID: feedID, AddedBy: a.ID, Added: s.now().UTC()}
	// Match first, then store the article, its findings and one entry in
	// one transaction: the log grows by one entry per article whether or
	// not it matched (the findings are only rows recorded in that entry),
	// so whoever controls a feed learns nothing from the log.
	var matches []ExposureMatch
	if s.exposureState() != nil {
		idx, err := s.exposureIndex(ctx)
		if err != nil {
			return Article{}, false, err
		}
		matches = idx.Match([]byte(art.Body))
	}
	var created bool
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		art.ID, created, err = tx.InsertArticle(ctx, art)
		if err != nil || !created {
			return err
		}
		role := eventRole(a, ActAddArticle, Facts{})
		if err := tx.AppendEvent(ctx, Event{At: art.Added, ActorID: a.ID, ActorRole: role, Kind: "article.added"}); err != nil {
			return err
		}
		return s.storeFindings(ctx, tx, art.ID, matches)
	})
	if err != nil {
		return Article{}, false, err
	}
	if !created {
		err := s.store.View(ctx, func(tx Tx) error {
			var err error
			art, err = tx.Article(ctx, art.ID)
			return err
		})
		return art, false, err
	}
	return art, true, nil
}

// storeFindings stores the matches of one article as findings, once per
// (article, message).
func (s *Service) storeFindings(ctx context.Context, tx Tx, articleID int64, matches []ExposureMatch) error {
	now := s.now().UTC()
	for _, m := range matches {
		f := Finding{ArticleID: articleID, MessageID: m.MessageID, Score: m.Score, Passages: m.Passages, Found: now}
		id, created, err := tx.InsertFinding(ctx, f)
		if err != nil {
			return err
		}
		if !created {
			continue
		}
		f.ID = id
		if err := s.exposureFound(ctx, tx, f); err != nil {
			return err
		}
	}
	return nil
}

// exposureFound records a new finding in the audit log, content-free (ids
// and counts only), and notifies the channel office (the assigned officers,
// or every officer, less the recused) and the message's drafter and signers
// (co-authors sign like the drafter), all in the transaction that stored it.
// Notifications and their e-mails say only that something needs attention.
func (s *Service) exposureFound(ctx context.Context, tx Tx, f Finding) error {
	// No entry of its own (see ingest): the finding's row is recorded in
	// the entry of the transaction that stores it.
	m, err := tx.Message(ctx, f.MessageID)
	if err != nil {
		return err
	}
	office, err := s.handlers(ctx, tx, m, false, f.Found)
	if err != nil {
		return err
	}
	authors, err := signerIDs(ctx, tx, &m)
	if err != nil {
		return err
	}
	return s.notify(ctx, tx, NoteExposureFound, m.ID, append(office, authors...)...)
}

func (s *Service) ScanExposure(ctx context.Context) (int, error) {
	if s.exposureState() == nil {
		return 0, nil
	}
	var fresh []MessageID
	if err := s.store.View(ctx, func(tx Tx) error {
		var err error
		fresh, err = tx.UnscannedMessages(ctx)
		return err
	}); err != nil || len(fresh) == 0 {
		return 0, err
	}
	idx, err := s.exposureIndex(ctx)
	if err != nil {
		return 0, err
	}
	want := make(map[MessageID]bool, len(fresh))
	for _, id := range fresh {
		want[id] = true
	}
	type found struct {
		article int64
		matches []ExposureMatch
	}
	var all []found
	const page = 200
	for after := int64(0); ; {
		var arts []Article
		if err := s.store.View(ctx, func(tx Tx) error {
			var err error
			arts, err = tx.Articles(ctx, after, page)
			return err
		}); err != nil {
			return 0, err
		}
		for _, a := range arts {
			var keep []ExposureMatch
			for _, m := range idx.Match([]byte(a.Body)) {
				if want[m.MessageID] {
					keep = append(keep, m)
				}
			}
			if len(keep) > 0 {
				all = append(all, found{a.ID, keep})
			}
			after = a.ID
		}
		if len(arts) < page {
			break
		}
		if err := ctx.Err(); err != nil {
			return 0, err
		}
	}
	n := 0
	err = s.store.Update(ctx, func(tx Tx) error {
		n = 0
		for _, f := range all {
			if err := s.storeFindings(ctx, tx, f.article, f.matches); err != nil {
				return err
			}
			n += len(f.matches)
		}
		now := s.now().UTC()
		for _, id := range fresh {
			if err := tx.MarkScanned(ctx, id, now); err != nil {
				return err
			}
		}
		// One entry per scan, whatever it found: the findings are recorded
		// only as rows in it, so the log's growth tells nobody whether a
		// message matched.
		if len(fresh) == 0 {
			return nil
		}
		return tx.AppendEvent(ctx, Event{At: now, Kind: "exposure.scanned"})
	})
	return n, err
}

// FindingView is a finding as a reader sees it. Article is always filled;
// MessageBody only by ExposureFinding.
type FindingView struct {
	Finding
	Article     Article
	MessageBody Text
}

// ExposureFindings lists the findings the actor may see: every finding for
// the channel office (except on messages they are recused from), and the
// findings on their own messages for authors. The list holds no message
// text, so listing is not a read.
func (s *Service) ExposureFindings(ctx context.Context, a Actor) ([]FindingView, error) {
	var out []FindingView
	err := s.store.View(ctx, func(tx Tx) error {
		out = out[:0]
		fs, err := tx.Findings(ctx)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		seen := map[MessageID]bool{}
		for _, f := range fs {
			ok, known := seen[f.MessageID]
			if !known {
				var err error
				// Deciding needs the drafter, not the text: nothing else is opened.
				if _, _, ok, err = s.exposureVisible(ctx, tx, a, f.MessageID, now, tx.MessageHeader); err != nil {
					return err
				}
				seen[f.MessageID] = ok
			}
			if !ok {
				continue
			}
			art, err := tx.Article(ctx, f.ArticleID)
			if err != nil {
				return err
			}
			art.Body = ""
			out = append(out, FindingView{Finding: f, Article: art})
		}
		return nil
	})
	return out, err
}

// exposureVisible reads the message with load and tells whether the actor
// may see it and its exposure findings (both decided by Decide).
func (s *Service) exposureVisible(ctx context.Context, tx Tx, a Actor, id MessageID, now time.Time,
	load func(context.Context, MessageID) (Message, error)) (Message, Facts, bool, error) {
	m, err := load(ctx, id)
	if err != nil {
		return Message{}, Facts{}, false, err
	}
	f, err := s.facts(ctx, tx, a, m, now)
	if err != nil {
		return Message{}, Facts{}, false, err
	}
	return m, f, Decide(a.Roles, ActSee, f) && Decide(a.Roles, ActSeeExposure, f), nil
}

// ExposureFinding returns one finding with the article and the message's
// body, for showing their passages side by side. A finding on a message the
// actor may not see the findings of is NotFound. Anyone but the message's
// authors opening it is recorded as a read of the text.
func (s *Service) ExposureFinding(ctx context.Context, a Actor, id int64) (FindingView, error) {
	var v FindingView
	err := s.store.Update(ctx, func(tx Tx) error {
		f, err := tx.Finding(ctx, id)
		if err != nil {
			return ErrNotFound("finding")
		}
		now := s.now().UTC()
		m, facts, ok, err := s.exposureVisible(ctx, tx, a, f.MessageID, now, tx.Message)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotFound("finding")
		}
		art, err := tx.Article(ctx, f.ArticleID)
		if err != nil {
			return err
		}
		v = FindingView{Finding: f, Article: art, MessageBody: m.Body}
		if !needsRecord(facts) {
			return nil
		}
		return tx.AppendEvent(ctx, messageEvent(a, eventRole(a, ActSeeExposure, facts), "read.exposure", m.ID,
			"finding "+strconv.FormatInt(f.ID, 10)+" version "+strconv.Itoa(m.Version), facts, now))
	})
	return v, err
}

// AddFeed adds an RSS or Atom feed for the monitor to poll.
func (s *Service) AddFeed(ctx context.Context, a Actor, feedURL string) (Feed, error) {
	if err := permit(a, ActManageFeeds); err != nil {
		return Feed{}, err
	}
	feedURL = strings.TrimSpace(feedURL)
	if feedURL == "" {
		return Feed{}, errInvalid("url", "required", "url is required")
	}
	if err := checkURL("url", feedURL); err != nil {
		return Feed{}, err
	}
	f := Feed{URL: feedURL, AddedBy: a.ID, Added: s.now().UTC()}
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if f.ID, err = tx.AddFeed(ctx, f); err != nil {
			return ifDuplicate(err, "url", "this feed is already polled")
		}
		return tx.AppendEvent(ctx, Event{At: f.Added, ActorID: a.ID, ActorRole: eventRole(a, ActManageFeeds, Facts{}),
			Kind: "feed.added", Detail: "feed " + strconv.FormatInt(f.ID, 10)})
	})
	return f, err
}

// Feeds lists the feeds, for those who may manage them.
func (s *Service) Feeds(ctx context.Context, a Actor) ([]Feed, error) {
	if err := permit(a, ActManageFeeds); err != nil {
		return nil, err
	}
	var out []Feed
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = tx.Feeds(ctx)
		return err
	})
	return out, err
}

// PollFeeds polls every feed not polled within interval, once across all
// instances: each feed is claimed in the database before it is fetched. It
// returns the number of new articles stored.
func (s *Service) PollFeeds(ctx context.Context, fetch FeedFetcher, interval time.Duration) (int, error) {
	var feeds []Feed
	if err := s.store.View(ctx, func(tx Tx) error {
		var err error
		feeds, err = tx.Feeds(ctx)
		return err
	}); err != nil {
		return 0, err
	}
	added := 0
	for _, f := range feeds {
		now := s.now().UTC()
		due := now.Add(-interval)
		if f.PolledAt.After(due) {
			continue
		}
		var claimed bool
		if err := s.store.Update(ctx, func(tx Tx) error {
			var err error
			claimed, err = tx.ClaimFeed(ctx, f.ID, now, due)
			return err
		}); err != nil {
			return added, err
		}
		if !claimed {
			continue
		}
		items, err := fetch.Fetch(ctx, f.URL)
		msg := ""
		if err != nil {
			msg = err.Error()
			if len(msg) > 500 {
				msg = msg[:500]
			}
		}
		for _, it := range items {
			_, created, err := s.IngestArticle(ctx, SourceFeed, f.ID, it)
			if ErrorKind(err) == KindInvalid {
				continue // an item without text, or an oversized one
			}
			if err != nil {
				return added, err
			}
			if created {
				added++
			}
		}
		if err := s.store.Update(ctx, func(tx Tx) error { return tx.SetFeedError(ctx, f.ID, msg) }); err != nil {
			return added, err
		}
	}
	return added, nil
}
