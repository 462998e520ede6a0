package pan

import (
	"math"
	"testing"
)

func ann(art string, a0, a1 int, msg string, m0, m1 int) Annotation {
	return Annotation{art, a0, a1, msg, m0, m1}
}

var (
	case1   = ann("a1", 0, 100, "m1", 0, 100)
	case2   = ann("a2", 0, 100, "m2", 0, 100)
	second  = ann("a1", 100, 200, "m1", 100, 200) // touches case1, does not overlap
	wider   = ann("a1", 0, 200, "m1", 0, 200)
	wrong   = ann("a1", 0, 100, "m2", 0, 100) // right article span, wrong message
	half    = ann("a2", 50, 150, "m2", 50, 150)
	quarter = ann("a2", 25, 100, "m2", 25, 100)
	left    = ann("a1", 0, 50, "m1", 0, 50)
	right   = ann("a1", 50, 100, "m1", 50, 100)
)

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name            string
		cases, dets     []Annotation
		prec, rec, gran float64
		plagdet         float64
		detected        int
	}{
		{"nothing at all", nil, nil, 1, 1, 1, 1, 0},
		{"no detections", []Annotation{case1}, nil, 0, 0, 1, 0, 0},
		{"only false detections", nil, []Annotation{case1}, 0, 0, 1, 0, 0},
		{"exact", []Annotation{case1}, []Annotation{case1}, 1, 1, 1, 1, 1},
		{"one of two cases", []Annotation{case1, case2}, []Annotation{case1}, 1, 0.5, 1, 2.0 / 3, 1},
		{"adjacent is not overlapping", []Annotation{case1}, []Annotation{second}, 0, 0, 1, 0, 0},
		// The detection is twice the case: all of the case, half of the detection.
		{"too wide", []Annotation{case1}, []Annotation{wider}, 0.5, 1, 1, 2.0 / 3, 1},
		// Attributed to the wrong message: counts as nothing.
		{"wrong message", []Annotation{case1}, []Annotation{wrong}, 0, 0, 1, 0, 0},
		// 50 of 100 chars in each document: recall 0.5; precision 0.5.
		{"shifted", []Annotation{case2}, []Annotation{half}, 0.5, 0.5, 1, 0.5, 1},
		{"inside", []Annotation{case2}, []Annotation{quarter}, 1, 0.75, 1, 6.0 / 7, 1},
		// Two detections for one case: full recall and precision, granularity 2.
		{"split", []Annotation{case1}, []Annotation{left, right}, 1, 1, 2, 1 / math.Log2(3), 1},
		// Overlapping detections count overlapping characters once.
		{"overlapping detections", []Annotation{case2}, []Annotation{half, quarter}, 0.75, 0.75, 2, 0.75 / math.Log2(3), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate(tt.cases, tt.dets)
			if !near(got.Precision, tt.prec) || !near(got.Recall, tt.rec) || !near(got.Granularity, tt.gran) ||
				!near(got.Plagdet, tt.plagdet) || got.Detected != tt.detected {
				t.Errorf("Evaluate = %+v; want precision %.4f recall %.4f granularity %.4f plagdet %.4f detected %d",
					got, tt.prec, tt.rec, tt.gran, tt.plagdet, tt.detected)
			}
		})
	}
}

func TestPlagdet(t *testing.T) {
	tests := []struct {
		p, r, g, want float64
	}{
		{1, 1, 1, 1},
		{0, 0, 1, 0},
		{1, 0.5, 1, 2.0 / 3},
		{1, 1, 3, 0.5},
		{1, 1, 0.5, 0}, // granularity below 1 is invalid
	}
	for _, tt := range tests {
		if got := Plagdet(tt.p, tt.r, tt.g); !near(got, tt.want) {
			t.Errorf("Plagdet(%v, %v, %v) = %v; want %v", tt.p, tt.r, tt.g, got, tt.want)
		}
	}
}

func TestUnionLen(t *testing.T) {
	tests := []struct {
		spans []span
		want  int
	}{
		{nil, 0},
		{[]span{{0, 10}}, 10},
		{[]span{{0, 10}, {5, 15}}, 15},
		{[]span{{20, 30}, {0, 10}}, 20},
		{[]span{{0, 10}, {2, 3}}, 10},
		{[]span{{5, 5}, {7, 6}}, 0},
	}
	for _, tt := range tests {
		if got := unionLen(tt.spans); got != tt.want {
			t.Errorf("unionLen(%v) = %d; want %d", tt.spans, got, tt.want)
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestEvaluateAlerts(t *testing.T) {
	// Six articles, counted by hand:
	//   clean1: clean, no alert            -> nothing
	//   clean2: clean, alert naming m1     -> article false; pair false
	//   leak1:  exposes m1, alert m1       -> article true; pair true
	//   leak2:  exposes m1 and m2, alert m2 and m3
	//                                      -> article true; pairs: true m2, false m3, missed m1
	//   leak3:  exposes m2, alert m1       -> article false and missed; pair false, pair missed
	//   leak4:  exposes m3, no alert       -> article missed; pair missed
	// Articles: true 2, false 2, missed 2. Pairs: true 2, false 3, missed 3.
	articles := []string{"clean1", "clean2", "leak1", "leak2", "leak3", "leak4"}
	truth := map[string][]string{"leak1": {"m1"}, "leak2": {"m1", "m2"}, "leak3": {"m2"}, "leak4": {"m3"}}
	found := map[string][]string{"clean2": {"m1"}, "leak1": {"m1"}, "leak2": {"m2", "m3"}, "leak3": {"m1"},
		"other": {"m9"}} // not among the articles: ignored
	got := EvaluateAlerts(articles, truth, found)
	want := Alerts{Articles: Counts{True: 2, False: 2, Missed: 2}, Pairs: Counts{True: 2, False: 3, Missed: 3}}
	if got != want {
		t.Fatalf("EvaluateAlerts = %+v; want %+v", got, want)
	}
	if p, r := got.Articles.Precision(), got.Articles.Recall(); p != 0.5 || r != 0.5 {
		t.Errorf("article precision, recall = %v, %v; want 0.5, 0.5", p, r)
	}
	if p, r := got.Pairs.Precision(), got.Pairs.Recall(); p != 0.4 || r != 0.4 {
		t.Errorf("pair precision, recall = %v, %v; want 0.4, 0.4", p, r)
	}
	if p, r := (Counts{}).Precision(), (Counts{}).Recall(); p != 1 || r != 1 {
		t.Errorf("empty counts: precision, recall = %v, %v; want 1, 1", p, r)
	}
}
