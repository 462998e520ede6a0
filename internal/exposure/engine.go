package exposure

import "github.com/dissent-channel/dissent"

// Engine returns the engine the Service runs (dissent.ExposureEngine). Its
// indexes hold hashed words and offsets, not the messages' text.
func Engine(opts Options) dissent.ExposureEngine { return engine{opts} }

type engine struct{ opts Options }

func (e engine) Index(messages []dissent.ExposureText) dissent.ExposureIndex {
	return index{NewIndex(documents(messages), e.opts)}
}

func documents(messages []dissent.ExposureText) []Document {
	docs := make([]Document, len(messages))
	for i, m := range messages {
		docs[i] = Document{Name: string(m.ID), Text: m.Body}
	}
	return docs
}

type index struct{ ix *Index }

func (x index) Add(messages []dissent.ExposureText) { x.ix.Add(documents(messages)) }

func (x index) Match(article []byte) []dissent.ExposureMatch {
	fs := x.ix.Match(Document{Text: article})
	out := make([]dissent.ExposureMatch, len(fs))
	for i, f := range fs {
		m := dissent.ExposureMatch{MessageID: dissent.MessageID(f.Message), Score: f.Score}
		for _, p := range f.Passages {
			m.Passages = append(m.Passages, dissent.Passage{ArticleStart: p.ArticleStart, ArticleEnd: p.ArticleEnd,
				MessageStart: p.MessageStart, MessageEnd: p.MessageEnd, Kind: string(p.Kind)})
		}
		out[i] = m
	}
	return out
}
