package main

import "strings"

// The vocabulary of the synthetic corpus. Every word list is written here;
// nothing is downloaded. Words in one synonym group can replace one another
// in a paraphrase; the engine under test never sees these groups.

// topic is a policy area: its own nouns, adjectives, verbs and names, mixed
// with the general vocabulary in every sentence.
type topic struct {
	name     string
	nouns    []string // singular; plurals are derived
	adjs     []string
	verbs    []string // base forms
	entities []string // proper names: programs, places, bodies
	groups   []string // plural nouns for people affected
}

var topics = []topic{
	{
		name: "resettlement",
		nouns: []string{"resettlement", "interpreter", "visa", "backlog", "asylum", "evacuation", "caseload",
			"vetting", "sponsorship", "camp", "border", "claim", "referral", "interview", "quota", "relocation",
			"adjudication", "petition", "waiver", "shelter", "flight", "manifest", "dependent", "family",
			"sponsor", "screening", "corridor", "crossing", "detention", "deportation", "integration",
			"application", "parole", "processing", "site", "caseworker", "pipeline", "admission", "bureaucracy",
			"intake"},
		adjs: []string{"humanitarian", "stranded", "undocumented", "displaced", "vulnerable", "expedited",
			"protracted", "stateless", "unaccompanied", "biometric", "eligible", "pending"},
		verbs: []string{"resettle", "evacuate", "screen", "vet", "admit", "relocate", "process", "shelter",
			"sponsor", "adjudicate", "deport", "detain"},
		entities: []string{"Kabul", "Islamabad", "Doha", "Camp As Sayliyah", "the Special Immigrant Visa program",
			"the Bureau of Population, Refugees, and Migration", "the Priority 2 program", "Ramstein",
			"the Darien Gap", "Tapachula", "Cox's Bazar", "the Lebanon caseload", "Mazar-i-Sharif",
			"the Operation Allies Welcome task force", "the International Organization for Migration"},
		groups: []string{"refugees", "interpreters", "families", "applicants", "evacuees", "asylum seekers",
			"former employees", "minors", "widows", "translators"},
	},
	{
		name: "arms",
		nouns: []string{"transfer", "munition", "license", "end-use", "airstrike", "certification", "package",
			"contractor", "drone", "missile", "rifle", "escalation", "casualty", "embargo", "notification",
			"battalion", "guarantee", "inventory", "stockpile", "ceasefire", "offensive", "blockade", "targeting",
			"monitoring", "diversion", "warhead", "artillery", "training", "deployment", "incursion",
			"checkpoint", "militia", "helicopter", "ammunition", "interceptor", "radar", "assurance",
			"battlefield", "sortie", "convoy"},
		adjs: []string{"precision-guided", "lethal", "offensive", "defensive", "civilian", "indiscriminate",
			"classified", "unmonitored", "armored", "forward-deployed", "allied", "covert"},
		verbs: []string{"arm", "supply", "certify", "license", "strike", "deploy", "train", "intercept",
			"divert", "escalate", "monitor", "equip"},
		entities: []string{"Yemen", "Hodeidah", "Riyadh", "the Leahy Law", "the Arms Export Control Act",
			"Section 620I", "the Bureau of Political-Military Affairs", "Sanaa", "Marib", "Tigray",
			"the Sahel", "Niamey", "the Red Sea", "Taiz", "the Foreign Military Financing account"},
		groups: []string{"civilians", "pilots", "contractors", "soldiers", "commanders", "militias",
			"security forces", "partner forces", "children", "aid workers"},
	},
	{
		name: "climate",
		nouns: []string{"emission", "pledge", "coal", "pipeline", "subsidy", "methane", "adaptation",
			"drought", "flood", "grid", "turbine", "financing", "mitigation", "deforestation", "carbon",
			"wildfire", "heatwave", "reservoir", "glacier", "harvest", "coastline", "offset", "credit",
			"target", "transition", "loan", "plant", "refinery", "storm", "mangrove", "aquifer", "cyclone",
			"rainfall", "fishery", "peatland", "infrastructure", "levy", "tariff", "inventory", "baseline"},
		adjs: []string{"renewable", "fossil", "low-carbon", "coastal", "arid", "concessional", "binding",
			"nationally determined", "climate-vulnerable", "extractive", "stranded", "resilient"},
		verbs: []string{"emit", "decarbonize", "adapt", "finance", "drill", "subsidize", "flood", "pledge",
			"offset", "phase", "retire", "mitigate"},
		entities: []string{"Glasgow", "the Paris Agreement", "the Green Climate Fund", "Dhaka", "the Mekong",
			"the Pacific islands", "Tuvalu", "Sharm el-Sheikh", "the Loss and Damage Fund", "Jakarta",
			"the Export-Import Bank", "Mozambique", "the Amazon", "Kiribati", "the Office of the Special Envoy"},
		groups: []string{"farmers", "fishers", "island nations", "coastal communities", "investors",
			"indigenous communities", "negotiators", "utilities", "small states", "herders"},
	},
	{
		name: "health",
		nouns: []string{"vaccine", "clinic", "outbreak", "grant", "dose", "supply", "epidemic", "nurse",
			"hospital", "ventilator", "malaria", "cholera", "tuberculosis", "antiretroviral", "surveillance",
			"laboratory", "treatment", "prevention", "mortality", "contraception", "funding", "warehouse",
			"shipment", "procurement", "cold chain", "pharmacy", "diagnosis", "immunization", "famine",
			"nutrition", "ration", "ward", "quarantine", "testing", "stockout", "midwife", "implementer",
			"award", "distribution", "campaign"},
		adjs: []string{"maternal", "preventable", "lifesaving", "chronic", "infectious", "malnourished",
			"rural", "underfunded", "frontline", "pediatric", "sanitary", "essential"},
		verbs: []string{"vaccinate", "treat", "distribute", "diagnose", "procure", "immunize", "ration",
			"fund", "stock", "test", "quarantine", "prevent"},
		entities: []string{"PEPFAR", "the Global Fund", "USAID", "Gavi", "Kinshasa", "the Mexico City Policy",
			"the President's Malaria Initiative", "Juba", "Goma", "the Bureau for Global Health", "Lilongwe",
			"the World Health Organization", "Port-au-Prince", "Maiduguri", "the Sahel nutrition program"},
		groups: []string{"patients", "mothers", "health workers", "children under five", "clinicians",
			"nurses", "grantees", "pharmacists", "volunteers", "orphans"},
	},
	{
		name: "sanctions",
		nouns: []string{"sanction", "designation", "exemption", "license", "export", "tariff", "shipment",
			"tanker", "bank", "transaction", "freeze", "oligarch", "yacht", "loophole", "enforcement",
			"evasion", "facilitator", "network", "refinery", "revenue", "price cap", "commodity", "smuggler",
			"escrow", "currency", "remittance", "insurer", "vessel", "cargo", "broker", "registry",
			"compliance", "subsidiary", "waiver", "regime", "penalty", "front company", "ledger", "port",
			"freighter"},
		adjs: []string{"secondary", "sectoral", "humanitarian", "shadow", "dual-use", "illicit", "offshore",
			"blocked", "targeted", "sweeping", "unilateral", "multilateral"},
		verbs: []string{"sanction", "designate", "freeze", "export", "smuggle", "enforce", "evade", "license",
			"seize", "waive", "penalize", "exempt"},
		entities: []string{"OFAC", "the Treasury Department", "Caracas", "Tehran", "Pyongyang", "Minsk",
			"the Strait of Hormuz", "the Economic Bureau", "SWIFT", "Dubai", "Fujairah", "Havana",
			"the Magnitsky Act", "Damascus", "the Bureau of Economic and Business Affairs"},
		groups: []string{"exporters", "banks", "shipowners", "importers", "traders", "businesses",
			"ordinary citizens", "pensioners", "humanitarian groups", "manufacturers"},
	},
	{
		name: "rights",
		nouns: []string{"election", "crackdown", "protest", "journalist", "detainee", "torture", "censorship",
			"prisoner", "activist", "opposition", "tribunal", "coup", "curfew", "abuse", "disappearance",
			"massacre", "constitution", "referendum", "ballot", "militia", "assembly", "verdict", "amnesty",
			"surveillance", "blackout", "watchdog", "judiciary", "dissident", "monitor", "observer",
			"atrocity", "accountability", "impunity", "investigation", "testimony", "report", "certification",
			"benchmark", "reform", "transition"},
		adjs: []string{"authoritarian", "democratic", "arbitrary", "extrajudicial", "peaceful", "credible",
			"free", "independent", "systematic", "widespread", "transitional", "constitutional"},
		verbs: []string{"detain", "censor", "protest", "torture", "suppress", "document", "certify", "monitor",
			"prosecute", "disappear", "silence", "intimidate"},
		entities: []string{"Cairo", "Addis Ababa", "Naypyidaw", "Khartoum", "Managua", "Tashkent",
			"the Bureau of Democracy, Human Rights, and Labor", "the Human Rights Council", "Tunis",
			"the country report", "Bamako", "Conakry", "Harare", "the Universal Periodic Review", "Dhaka"},
		groups: []string{"protesters", "journalists", "activists", "opposition leaders", "lawyers",
			"students", "detainees", "voters", "human rights defenders", "minorities"},
	},
}

// General vocabulary, shared by every topic.
var (
	generalNouns = []string{"policy", "decision", "approach", "commitment", "credibility", "partner",
		"ally", "interest", "objective", "mission", "strategy", "assessment", "consequence", "risk",
		"leverage", "relationship", "position", "principle", "value", "influence", "program", "budget",
		"priority", "review", "mandate", "directive", "guidance", "recommendation", "office", "embassy",
		"post", "staff", "cable", "briefing", "meeting", "agreement", "negotiation", "process", "channel",
		"option", "outcome", "impact", "obligation", "law", "statute", "requirement", "warning", "signal",
		"message", "reputation", "legitimacy", "trust", "capacity", "resource", "presence", "footprint",
		"timeline", "deadline", "failure", "success", "cost", "benefit", "trade-off", "precedent",
		"region", "government", "ministry", "leadership", "administration", "official", "diplomat",
		"envoy", "counterpart", "adversary", "competitor", "rival", "audience", "public", "constituency",
		"press", "narrative", "record", "evidence", "data", "analysis", "judgment", "concern", "objection",
		"dissent", "disagreement", "instruction", "memo", "framework", "initiative", "mechanism", "plan",
		"pause", "suspension", "reversal", "cut", "reduction", "increase", "expansion", "crisis"}
	generalAdjs = []string{"serious", "significant", "grave", "lasting", "immediate", "long-term",
		"short-sighted", "strategic", "credible", "consistent", "inconsistent", "unprecedented", "abrupt",
		"predictable", "avoidable", "irreversible", "profound", "narrow", "broad", "central", "current",
		"previous", "official", "public", "private", "internal", "external", "regional", "global", "local",
		"legal", "moral", "political", "economic", "practical", "operational", "diplomatic", "clear",
		"explicit", "implicit", "deliberate", "hasty", "careful", "flawed", "sound", "coherent",
		"contradictory", "misguided", "prudent", "reckless", "modest", "substantial", "minimal",
		"considerable", "urgent", "critical", "fragile", "stable", "volatile", "hostile", "friendly",
		"skeptical", "confident", "reluctant", "willing", "costly", "cheap", "effective", "ineffective",
		"transparent", "opaque"}
	generalVerbs = []string{"undermine", "weaken", "erode", "damage", "harm", "abandon", "ignore",
		"disregard", "overlook", "reverse", "suspend", "delay", "postpone", "accelerate", "expand", "reduce",
		"cut", "increase", "strengthen", "bolster", "reinforce", "support", "oppose", "question",
		"challenge", "reconsider", "revisit", "review", "restore", "reinstate", "resume", "fund", "finance",
		"protect", "shield", "defend", "risk", "jeopardize", "endanger", "threaten", "signal", "send",
		"convey", "tell", "warn", "caution", "alert", "urge", "press", "encourage", "recommend", "propose",
		"suggest", "require", "demand", "expect", "anticipate", "forecast", "assess", "judge", "conclude",
		"find", "show", "demonstrate", "reveal", "confirm", "contradict", "violate", "breach", "honor",
		"keep", "break", "fulfill", "meet", "miss", "lose", "gain", "win", "cede", "surrender", "hand",
		"offer", "provide", "deliver", "withhold", "deny", "grant", "approve", "reject", "block", "allow",
		"permit", "enable", "prevent", "stop", "halt", "end", "begin", "start", "launch"}
	adverbs = []string{"quickly", "publicly", "privately", "repeatedly", "consistently", "deliberately",
		"abruptly", "quietly", "openly", "explicitly", "effectively", "fundamentally", "seriously",
		"significantly", "substantially", "directly", "indirectly", "immediately", "eventually",
		"permanently", "temporarily", "unnecessarily", "needlessly", "largely", "entirely", "partly",
		"already", "again", "further", "increasingly", "steadily", "sharply", "gradually", "rapidly",
		"clearly", "plainly", "unambiguously", "formally", "informally", "routinely"}
	places = []string{"Washington", "Brussels", "Geneva", "New York", "Nairobi", "Amman", "Ankara",
		"Baghdad", "Beirut", "Kyiv", "Warsaw", "Manila", "Hanoi", "Bangkok", "Seoul", "Tokyo", "Canberra",
		"Lagos", "Accra", "Dakar", "Bogota", "Lima", "Quito", "Mexico City", "Guatemala City", "Tegucigalpa",
		"San Salvador", "Kigali", "Kampala", "Mogadishu", "Djibouti", "Muscat", "Abu Dhabi", "Kuwait City",
		"Rabat", "Algiers", "Tripoli", "Yerevan", "Tbilisi", "Baku", "Astana", "Ulaanbaatar", "Dili",
		"Port Moresby", "Suva", "Colombo", "Kathmandu", "Male"}
	titles = []string{"the Secretary", "the Deputy Secretary", "the Under Secretary for Political Affairs",
		"the Assistant Secretary", "the Ambassador", "the National Security Adviser", "the President",
		"the Administrator", "the Special Envoy", "the Chief of Mission", "the Legal Adviser",
		"the Director of Policy Planning"}
	agencies = []string{"State Department", "Pentagon", "White House", "National Security Council",
		"Treasury", "embassy", "Commerce Department", "Justice Department", "mission to the United Nations",
		"regional bureau"}
	weekdays = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}
	months   = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September",
		"October", "November", "December"}
	groupsGeneral = []string{"lawmakers", "analysts", "advocates", "former officials", "diplomats",
		"career officers", "veterans", "legal scholars", "congressional aides", "outside experts",
		"allied governments", "rights groups"}
)

// Synonym groups for paraphrases. Members of a group share a part of speech
// and are inflected the same way.
var synonymGroups = [][]string{
	{"undermine", "weaken", "erode"}, {"damage", "harm"}, {"abandon", "forsake"},
	{"ignore", "disregard", "overlook"}, {"suspend", "pause", "halt"}, {"delay", "postpone"},
	{"strengthen", "bolster", "reinforce"}, {"reconsider", "revisit"}, {"restore", "reinstate"},
	{"protect", "shield"}, {"jeopardize", "endanger", "threaten"}, {"warn", "caution", "alert"},
	{"urge", "press", "encourage"}, {"recommend", "propose", "suggest"}, {"require", "demand"},
	{"expect", "anticipate"}, {"assess", "judge"}, {"show", "demonstrate", "reveal"},
	{"violate", "breach"}, {"honor", "fulfill"}, {"provide", "deliver", "offer"}, {"withhold", "deny"},
	{"approve", "grant"}, {"reject", "block"}, {"allow", "permit", "enable"}, {"prevent", "stop"},
	{"begin", "start", "launch"}, {"reduce", "cut"}, {"expand", "increase"}, {"support", "back"},
	{"policy", "approach", "strategy"}, {"decision", "determination"}, {"commitment", "pledge", "promise"},
	{"partner", "ally"}, {"objective", "goal", "aim"}, {"consequence", "effect", "result"},
	{"risk", "danger", "hazard"}, {"leverage", "influence"}, {"relationship", "partnership"},
	{"position", "stance"}, {"program", "initiative", "effort"}, {"priority", "focus"},
	{"guidance", "direction"}, {"recommendation", "proposal"}, {"warning", "alert"}, {"reputation", "standing"},
	{"legitimacy", "authority"}, {"trust", "confidence"}, {"failure", "collapse"}, {"cost", "price"},
	{"government", "authorities"}, {"official", "diplomat"}, {"adversary", "rival", "competitor"},
	{"evidence", "proof"}, {"analysis", "assessment"}, {"concern", "worry"}, {"objection", "protest"},
	{"framework", "structure"}, {"plan", "proposal"}, {"suspension", "pause", "freeze"}, {"reversal", "retreat"},
	{"crisis", "emergency"}, {"serious", "grave", "severe"}, {"significant", "substantial", "considerable"},
	{"lasting", "enduring", "durable"}, {"immediate", "instant"}, {"abrupt", "sudden"},
	{"avoidable", "preventable"}, {"irreversible", "permanent"}, {"profound", "deep"}, {"clear", "plain", "evident"},
	{"deliberate", "intentional"}, {"hasty", "rushed"}, {"careful", "cautious"}, {"flawed", "faulty"},
	{"misguided", "mistaken", "wrong-headed"}, {"reckless", "careless"}, {"urgent", "pressing"},
	{"critical", "vital", "crucial"}, {"fragile", "precarious"}, {"volatile", "unstable"},
	{"hostile", "adversarial"}, {"costly", "expensive"}, {"effective", "successful"}, {"quickly", "swiftly", "rapidly"},
	{"publicly", "openly"}, {"repeatedly", "again and again"}, {"deliberately", "intentionally"},
	{"abruptly", "suddenly"}, {"quietly", "discreetly"}, {"seriously", "gravely"}, {"significantly", "markedly"},
	{"largely", "mostly"}, {"entirely", "wholly", "completely"}, {"clearly", "plainly"},
	{"humanitarian", "relief"}, {"vulnerable", "at-risk"}, {"lethal", "deadly"}, {"civilian", "noncombatant"},
	{"infectious", "communicable"}, {"lifesaving", "life-saving"}, {"essential", "basic"},
	{"authoritarian", "autocratic"}, {"arbitrary", "unjustified"}, {"widespread", "pervasive"},
	{"sweeping", "broad"}, {"illicit", "illegal"}, {"displaced", "uprooted"}, {"binding", "enforceable"},
	{"clinic", "health center"}, {"outbreak", "epidemic"}, {"crackdown", "repression"}, {"journalist", "reporter"},
	{"activist", "campaigner"}, {"transfer", "sale"}, {"airstrike", "air strike"}, {"casualty", "fatality"},
	{"emission", "discharge"}, {"subsidy", "handout"}, {"drought", "dry spell"}, {"sanction", "penalty"},
	{"loophole", "gap"}, {"backlog", "queue"}, {"evacuation", "airlift"}, {"refugees", "displaced people"},
	{"civilians", "noncombatants"}, {"protesters", "demonstrators"}, {"patients", "the sick"},
}

// Irregular verbs: base -> past, past participle.
var irregular = map[string][2]string{
	"cut": {"cut", "cut"}, "keep": {"kept", "kept"}, "break": {"broke", "broken"}, "find": {"found", "found"},
	"show": {"showed", "shown"}, "send": {"sent", "sent"}, "tell": {"told", "told"}, "meet": {"met", "met"},
	"lose": {"lost", "lost"}, "win": {"won", "won"}, "begin": {"began", "begun"}, "withhold": {"withheld", "withheld"},
	"forsake": {"forsook", "forsaken"}, "shelter": {"sheltered", "sheltered"}, "strike": {"struck", "struck"},
	"undergo": {"underwent", "undergone"}, "hand": {"handed", "handed"}, "set": {"set", "set"},
	"deny": {"denied", "denied"}, "fund": {"funded", "funded"},
}

// verbForms returns base, third person singular, past, past participle and
// -ing forms of a regular or listed irregular verb (multi-word verbs
// inflect their first word).
func verbForms(base string) [5]string {
	if i := strings.IndexByte(base, ' '); i > 0 {
		f := verbForms(base[:i])
		for k := range f {
			f[k] += base[i:]
		}
		return f
	}
	var f [5]string
	f[0] = base
	switch {
	case strings.HasSuffix(base, "y") && !strings.ContainsAny(base[len(base)-2:len(base)-1], "aeiou"):
		f[1] = base[:len(base)-1] + "ies"
	case strings.HasSuffix(base, "s") || strings.HasSuffix(base, "sh") || strings.HasSuffix(base, "ch") ||
		strings.HasSuffix(base, "x") || strings.HasSuffix(base, "z"):
		f[1] = base + "es"
	default:
		f[1] = base + "s"
	}
	past := ""
	switch {
	case strings.HasSuffix(base, "e"):
		past = base + "d"
	case strings.HasSuffix(base, "y") && !strings.ContainsAny(base[len(base)-2:len(base)-1], "aeiou"):
		past = base[:len(base)-1] + "ied"
	case doubles(base):
		past = base + base[len(base)-1:] + "ed"
	default:
		past = base + "ed"
	}
	f[2], f[3] = past, past
	if irr, ok := irregular[base]; ok {
		f[2], f[3] = irr[0], irr[1]
	}
	switch {
	case strings.HasSuffix(base, "ie"):
		f[4] = base[:len(base)-2] + "ying"
	case strings.HasSuffix(base, "e") && !strings.HasSuffix(base, "ee"):
		f[4] = base[:len(base)-1] + "ing"
	case doubles(base):
		f[4] = base + base[len(base)-1:] + "ing"
	default:
		f[4] = base + "ing"
	}
	return f
}

// doubles reports whether a verb doubles its last consonant: "stop",
// "vet", "admit" (short words ending consonant-vowel-consonant, stressed
// last).
func doubles(w string) bool {
	switch w {
	case "vet", "stop", "admit", "cut", "ban", "plan", "permit", "commit", "drop", "ship", "stem", "win",
		"begin", "set", "halt":
		return w != "halt"
	}
	return false
}

// plural returns the plural of a noun (the last word of a compound).
func plural(n string) string {
	if i := strings.LastIndexByte(n, ' '); i > 0 {
		return n[:i+1] + plural(n[i+1:])
	}
	switch {
	case n == "data" || n == "evidence" || n == "staff" || n == "leadership" || n == "public" || n == "press" ||
		n == "guidance" || n == "funding" || n == "trust" || n == "asylum" || n == "vetting" || n == "carbon" ||
		n == "processing" || n == "integration" || n == "surveillance" || n == "procurement" || n == "nutrition" ||
		n == "impunity" || n == "accountability" || n == "censorship" || n == "torture" || n == "mitigation" ||
		n == "adaptation" || n == "deforestation" || n == "financing" || n == "compliance" || n == "enforcement" ||
		n == "evasion" || n == "ammunition" || n == "artillery" || n == "training" || n == "malaria" ||
		n == "cholera" || n == "tuberculosis" || n == "contraception" || n == "mortality" || n == "prevention" ||
		n == "testing" || n == "legitimacy" || n == "credibility" || n == "influence" || n == "leverage":
		return n
	case strings.HasSuffix(n, "y") && len(n) > 2 && !strings.ContainsAny(n[len(n)-2:len(n)-1], "aeiou"):
		return n[:len(n)-1] + "ies"
	case strings.HasSuffix(n, "s") || strings.HasSuffix(n, "sh") || strings.HasSuffix(n, "ch") ||
		strings.HasSuffix(n, "x"):
		return n + "es"
	}
	return n + "s"
}

// synonyms maps every inflected form of a word in a synonym group to the
// same form of the other members. Built by init.
var synonyms = map[string][]string{}

func init() {
	add := func(forms [][]string) {
		for i, fi := range forms {
			for k := range fi {
				for j, fj := range forms {
					if i != j && fi[k] != fj[k] {
						synonyms[fi[k]] = append(synonyms[fi[k]], fj[k])
					}
				}
			}
		}
	}
	for _, g := range synonymGroups {
		// Inflect as verbs, as nouns (singular and plural) and as is;
		// a form that never occurs in text costs nothing.
		var asVerb, asNoun, asIs [][]string
		for _, w := range g {
			f := verbForms(w)
			asVerb = append(asVerb, f[1:])
			asNoun = append(asNoun, []string{plural(w)})
			asIs = append(asIs, []string{w})
		}
		add(asIs)
		add(asNoun)
		add(asVerb)
	}
}
