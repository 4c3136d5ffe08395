// Package fakeusers generates a realistic, deterministic population of
// users for seeding and benchmarks: multilingual names with accents, emails
// derived from them, three large organizations and many small ones, skewed
// roles and statuses, creation dates spread over five years and some last
// logins. Person(i) depends only on i and the population size, so a
// benchmark can regenerate any user to pick query terms without reading a
// store.
package fakeusers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"
)

// Person is one generated user.
type Person struct {
	ID        uuid.UUID
	Email     string
	FirstName string
	LastName  string
	Roles     []string
	Org       string // empty for none
	// Status is active (85%), suspended (12%), inactive (2%) or deleted (1%).
	Status    string
	Created   time.Time
	LastLogin time.Time // zero for the 60% who never logged in
	// Note is an admin note for one user in 200, else empty.
	Note string
}

// name is a name as displayed and as typed into an email address.
type name struct{ display, ascii string }

// language is a pool of first and last names. Lists are ordered by
// frequency: picks are skewed towards their start.
type language struct {
	weight      int
	first, last []name
}

func names(list string) []name {
	var out []name
	for _, n := range strings.Split(list, ",") {
		display, ascii, ok := strings.Cut(strings.TrimSpace(n), "/")
		if !ok {
			ascii = asciiFold(display)
		}
		out = append(out, name{display, ascii})
	}
	return out
}

// asciiFold strips accents for email addresses.
func asciiFold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(strings.ToLower(s)) {
		switch {
		case r == 'ß':
			b.WriteString("ss")
		case r == 'ø':
			b.WriteRune('o')
		case r == 'ł':
			b.WriteRune('l')
		case r == 'đ':
			b.WriteRune('d')
		case r == 'ı':
			b.WriteRune('i')
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
		}
	}
	return b.String()
}

var languages = []language{
	{30, names("James,Mary,John,Patricia,Robert,Jennifer,Michael,Linda,William,Elizabeth,David,Barbara,Richard,Susan,Joseph,Jessica,Thomas,Sarah,Charles,Karen,Christopher,Nancy,Daniel,Lisa,Matthew,Betty,Anthony,Margaret,Mark,Sandra,Steven,Ashley,Paul,Emily,Andrew,Donna,Joshua,Michelle,Kevin,Amanda"),
		names("Smith,Johnson,Williams,Brown,Jones,Miller,Davis,Wilson,Anderson,Taylor,Thomas,Moore,Jackson,Martin,Lee,Thompson,White,Harris,Clark,Lewis,Robinson,Walker,Young,Allen,King,Wright,Scott,Hill,Green,Adams,Baker,Nelson,Carter,Mitchell,Roberts,Turner,Phillips,Campbell,Parker,Evans,Edwards,Collins,Stewart,Morris,Murphy,Cook,Rogers,O'Brien,O'Connor,McDonald")},
	{12, names("José,María,Jesús,Lucía,Sofía,Martín,Ángel,Inés,Raúl,Óscar,Álvaro,Begoña,Iñaki,Nuria,Javier,Carmen,Alejandro,Pablo,Elena,Andrés,Mónica,Adrián,Rocío,Sebastián,Ramón"),
		names("García,Fernández,González,Rodríguez,López,Martínez,Sánchez,Pérez,Gómez,Martín,Jiménez,Ruiz,Hernández,Díaz,Moreno,Muñoz,Álvarez,Romero,Núñez,Peña,Ibáñez,Castillo,Ortiz,Gutiérrez,Domínguez")},
	{6, names("João,José,Conceição,Gonçalo,Inês,Tomás,Luís,Márcia,Ana,Beatriz,Mariana,Rui"),
		names("Silva,Santos,Ferreira,Pereira,Oliveira,Costa,Rodrigues,Martins,Gonçalves,Magalhães,Araújo,Simões")},
	{9, names("François,Hélène,Zoé,Benoît,Chloé,Léa,Élodie,Jérôme,Noël,Gaëlle,Mathéo,Amélie,Céline,Loïc,Stéphane"),
		names("Martin,Bernard,Dubois,Thomas,Robert,Richard,Petit,Durand,Lefèvre,Leroy,Moreau,Fournier,Girard,Bonnet,Lemaître,Chevalier,Féraud,Bélanger")},
	{10, names("Jürgen,Jörg,Uwe,Björn,Günther,Käthe,Lena,Lukas,Maximilian,Sophie,Anna,Felix,Jonas,Hannah,Lea,Leon,Mia,Paul,Jürgen-Peter,Anneliese"),
		names("Müller,Schmidt,Schneider,Fischer,Weber,Meyer,Wagner,Becker,Schulz,Hoffmann,Schäfer,Koch,Groß,Weiß,Köhler,Krüger,Schröder,Neumann,Schwarz,Zimmermann")},
	{5, names("Søren,Åsa,Bjørn,Ørjan,Märta,Linnéa,Håkan,Øystein,Lars,Ingrid,Sigríður,Astrid"),
		names("Jensen,Nielsen,Hansen,Pedersen,Andersen,Johansson,Karlsson,Nilsson,Ørsted,Lindqvist,Åberg,Sørensen")},
	{6, names("Łukasz,Paweł,Małgorzata,Zofia,Jiří,Tomáš,Bożena,Wojciech,Agnieszka,Kateřina,Piotr,Krzysztof"),
		names("Nowak,Kowalski,Wiśniewski,Wójcik,Kowalczyk,Dvořák,Novák,Černý,Procházka,Kamiński,Lewandowski,Zieliński,Szymański,Woźniak")},
	{5, names("Şule,Çağla,Öykü,Gökhan,İbrahim,Ayşe,Mehmet,Emre,Zeynep,Elif,Burak"),
		names("Yılmaz,Kaya,Demir,Şahin,Çelik,Yıldız,Öztürk,Aydın,Özdemir,Arslan,Doğan")},
	{5, names("Anh,Minh,Thảo,Hương,Đức,Quỳnh,Tuấn,Linh,Hùng,Lan"),
		names("Nguyễn,Trần,Lê,Phạm,Hoàng,Huỳnh,Phan,Vũ,Võ,Đặng,Bùi,Đỗ")},
	{6, names("Иван/ivan,Мария/maria,Алексей/aleksei,Ольга/olga,Дмитрий/dmitri,Наталья/natalia,Сергей/sergei,Елена/elena,Андрей/andrei,Татьяна/tatiana"),
		names("Иванов/ivanov,Смирнов/smirnov,Кузнецов/kuznetsov,Попов/popov,Васильев/vasiliev,Петров/petrov,Соколов/sokolov,Михайлов/mikhailov,Новиков/novikov,Фёдоров/fedorov")},
	{3, names("Γιώργος/giorgos,Μαρία/maria,Δημήτρης/dimitris,Ελένη/eleni,Νίκος/nikos,Alexandrina,Konstantinos"),
		names("Παπαδόπουλος/papadopoulos,Παπαδοπούλου/papadopoulou,Konstantinopoulou-Papadopoulou,Konstantinopoulou-Papadopoulos,Konstantinopoulos,Georgiou,Nikolaidis")},
	{3, names("Wei,Fang,Hiroshi,Yuki,Ji-woo,Min-jun,Priya,Arjun,Aarav,Saanvi"),
		names("Wang,Li,Zhang,Chen,Tanaka,Suzuki,Kim,Park,Sharma,Patel,Gupta,Singh")},
}

var publicDomains = []string{"gmail.com", "gmail.com", "gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "web.de", "free.fr", "mail.ru", "gmx.de", "icloud.com", "proton.me", "orange.fr", "libero.it", "wp.pl"}

// BigOrgs are the three large organizations: users whose index modulo 20
// falls in [Lo, Hi) belong to them (20%, 15% and 10% of the population).
var BigOrgs = []struct {
	ID, Domain string
	Lo, Hi     int
}{
	{"org-globex", "globex.com", 0, 4},
	{"org-initech", "initech.io", 4, 7},
	{"org-umbrella", "umbrella-corp.de", 7, 9},
}

// Epoch is the generated population's "now": creation dates fall in the
// five years before it.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Population describes a generated population of N users.
type Population struct {
	N int
	// SmallOrgs is the number of small organizations (N/50, 1 to 50 members).
	SmallOrgs  int
	orgWeights []int // cumulative weights of the small orgs
}

// New describes a population of n users.
func New(n int) Population {
	p := Population{N: n, SmallOrgs: max(1, n/50)}
	r := rand.New(rand.NewPCG(42, 42))
	total := 0
	for range p.SmallOrgs {
		total += 1 + r.IntN(50)
		p.orgWeights = append(p.orgWeights, total)
	}
	return p
}

// SmallOrgID names small organization k.
func SmallOrgID(k int) string { return fmt.Sprintf("org-%05d", k) }

// Person generates user i.
func (p Population) Person(i int) Person {
	r := rand.New(rand.NewPCG(7, uint64(i)))
	skew := func(n int) int { return int(float64(n) * math.Pow(r.Float64(), 1.5)) }
	lang := languages[0]
	w := r.IntN(100)
	for _, l := range languages {
		if w < l.weight {
			lang = l
			break
		}
		w -= l.weight
	}
	first, last := lang.first[skew(len(lang.first))], lang.last[skew(len(lang.last))]
	if r.IntN(10) == 0 { // mixed origins
		other := languages[r.IntN(len(languages))]
		first = other.first[skew(len(other.first))]
	}
	u := Person{
		ID:        uuid.UUID(randomUUID(r)),
		FirstName: first.display,
		LastName:  last.display,
		Roles:     []string{"member"},
	}

	domain := publicDomains[r.IntN(len(publicDomains))]
	switch m := i % 20; {
	case m < 9:
		for _, o := range BigOrgs {
			if m >= o.Lo && m < o.Hi {
				u.Org, domain = o.ID, o.Domain
			}
		}
	case r.IntN(100) < 93:
		total := p.orgWeights[len(p.orgWeights)-1]
		k, _ := slices.BinarySearch(p.orgWeights, 1+r.IntN(total))
		u.Org = SmallOrgID(k)
		if r.IntN(2) == 0 {
			domain = fmt.Sprintf("org%05d.example", k)
		}
	}
	f, l := first.ascii, strings.ReplaceAll(strings.ReplaceAll(last.ascii, "'", ""), "-", "")
	switch v := r.IntN(100); {
	case v < 50:
		u.Email = f + "." + l
	case v < 70:
		u.Email = fmt.Sprintf("%s.%s%02d", f, l, r.IntN(100))
	case v < 85:
		u.Email = fmt.Sprintf("%c%s%03d", f[0], l, r.IntN(1000))
	default:
		u.Email = f + "_" + l
	}
	u.Email += "@" + domain

	if r.IntN(100) < 8 {
		u.Roles = append(u.Roles, "author")
	}
	if r.IntN(100) < 3 {
		u.Roles = append(u.Roles, "expert")
	}
	if r.IntN(100) < 2 {
		u.Roles = []string{"vendor"}
	}
	if u.Org != "" && r.IntN(100) < 1 {
		u.Roles = append(u.Roles, "org_admin")
	}
	if r.IntN(2000) == 0 {
		u.Roles = append(u.Roles, "system_admin")
	}
	switch s := r.IntN(100); {
	case s < 85:
		u.Status = "active"
	case s < 97:
		u.Status = "suspended"
	case s < 99:
		u.Status = "inactive"
	default:
		u.Status = "deleted"
	}
	span := 5 * 365 * 24 * time.Hour
	u.Created = Epoch.Add(-time.Duration(r.Int64N(int64(span)))).Truncate(time.Millisecond)
	if r.IntN(100) < 40 {
		u.LastLogin = u.Created.Add(time.Duration(r.Int64N(int64(Epoch.Sub(u.Created))))).Truncate(time.Millisecond)
	}
	if r.IntN(200) == 0 {
		u.Note = "Imported from the legacy directory."
	}
	return u
}

func randomUUID(r *rand.Rand) [16]byte {
	var b [16]byte
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return b
}
