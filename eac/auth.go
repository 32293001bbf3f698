package eac

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"exsh/state"
)

// Cookie names. The __Host- prefix makes the browser insist on Secure,
// Path=/ and no Domain.
const (
	sessionCookie = "__Host-exshEAC"
	preAuthCookie = "__Host-exshEACLogon"
)

// userSession is one signed-in administrator.
type userSession struct {
	id      string
	User    string // CONTOSO\Administrator
	Display string // Administrator
	token   string // anti-forgery token of every change
	mu      sync.Mutex
	seen    time.Time
	log     []LoggedCommand
	// lab says the session signed in against a training lab's
	// organisation; it lasts only while a lab is in progress.
	lab bool
}

// LoggedCommand is one line of Show command logging.
type LoggedCommand struct {
	Time    time.Time
	Command string
	Status  string // "Completed" or "Failed"
	Error   string
}

// Token is the session's anti-forgery token for forms.
func (u *userSession) Token() string { return u.token }

func (u *userSession) validToken(got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(u.token)) == 1
}

func (u *userSession) record(c LoggedCommand) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.log = append(u.log, c)
	if len(u.log) > 500 {
		u.log = u.log[len(u.log)-500:]
	}
}

func (u *userSession) commands() []LoggedCommand {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]LoggedCommand(nil), u.log...)
}

type sessions struct {
	idle time.Duration
	now  func() time.Time
	mu   sync.Mutex
	byID map[string]*userSession
}

func newSessions(idle time.Duration, now func() time.Time) *sessions {
	return &sessions{idle: idle, now: now, byID: map[string]*userSession{}}
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *sessions) create(user, display string, lab bool) *userSession {
	u := &userSession{id: randomToken(), User: user, Display: display, token: randomToken(), seen: s.now(), lab: lab}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, o := range s.byID {
		if s.now().Sub(o.seen) > s.idle {
			delete(s.byID, id)
		}
	}
	s.byID[u.id] = u
	return u
}

// fromRequest returns the request's live session, or nil. Using a
// session keeps it alive; one idle too long has ended.
func (s *sessions) fromRequest(r *http.Request) *userSession {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.byID[c.Value]
	if u == nil {
		return nil
	}
	now := s.now()
	if now.Sub(u.seen) > s.idle {
		delete(s.byID, c.Value)
		return nil
	}
	u.seen = now
	return u
}

// alive reports whether u has not been signed out, and counts an open
// live view (the mail flow map on a projector) as use.
func (s *sessions) alive(u *userSession) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID[u.id] != u {
		return false
	}
	u.seen = s.now()
	return true
}

func (s *sessions) end(u *userSession) {
	s.mu.Lock()
	delete(s.byID, u.id)
	s.mu.Unlock()
}

func setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   true,
		SameSite: http.SameSiteStrictMode,
	})
}

type logonData struct {
	URL      string
	User     string
	Canary   string
	Error    string
	SignedIn bool
}

// safeReturn keeps a post-sign-in return URL inside the EAC.
func safeReturn(u string) string {
	if strings.HasPrefix(u, "/ecp/") && !strings.HasPrefix(u, "//") && !strings.ContainsAny(u, "\\\r\n") {
		return u
	}
	return "/ecp/"
}

func templateURLEscape(s string) string { return url.QueryEscape(s) }

// logonPage is Exchange's forms-based sign-in page. A pre-sign-in cookie
// and the same value in the form guard the sign-in against forgery.
func (s *Server) logonPage(w http.ResponseWriter, r *http.Request) {
	if s.session(r) != nil {
		http.Redirect(w, r, safeReturn(r.URL.Query().Get("url")), http.StatusSeeOther)
		return
	}
	canary := randomToken()
	setCookie(w, preAuthCookie, canary, 600)
	s.render(w, "logon", logonData{URL: safeReturn(r.URL.Query().Get("url")), Canary: canary})
}

// errBadLogon is the sign-in page's message, the same for an unknown
// account and a wrong password.
const errBadLogon = "The user name or password you entered isn't correct. Try entering it again."

func (s *Server) logon(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	user := strings.TrimSpace(r.PostFormValue("username"))
	password := r.PostFormValue("password")
	ret := safeReturn(r.PostFormValue("url"))
	c, err := r.Cookie(preAuthCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("canary"))) != 1 {
		http.Error(w, "403 Forbidden: the sign-in form is missing its anti-forgery token. Reload the page and try again.", http.StatusForbidden)
		return
	}
	// Asked before the accounts are: a lab that ends meanwhile leaves a
	// session that ends early, never a lab's account in the user's
	// organisation.
	inLab := s.cfg.InLab()
	account, display, err := s.checkAdmin(user, password)
	if err != nil {
		// A failed sign-in waits as a failed SMTP AUTH does
		// (AuthTarpitInterval), so guessing is slow.
		select {
		case <-time.After(s.cfg.FailedSignInDelay):
		case <-r.Context().Done():
			return
		}
		canary := randomToken()
		setCookie(w, preAuthCookie, canary, 600)
		s.render(w, "logon", logonData{URL: ret, User: user, Canary: canary, Error: errBadLogon})
		return
	}
	u := s.sess.create(account, display, inLab)
	setCookie(w, preAuthCookie, "", -1)
	setCookie(w, sessionCookie, u.id, 0)
	http.Redirect(w, r, ret, http.StatusSeeOther)
}

var errNotAdmin = errors.New("not an organisation administrator")

// checkAdmin checks a sign-in against the organisation's accounts with the
// same lookup and password check as SMTP AUTH (the UPN, DOMAIN\user or
// the alias), and lets in the organisation's administrators.
func (s *Server) checkAdmin(user, password string) (account, display string, err error) {
	if user == "" || password == "" {
		return "", "", errNotAdmin
	}
	var rec *state.Recipient
	var netbios string
	err = s.cfg.Store.View(func(tx state.Tx) error {
		org, err := tx.Org()
		if err != nil {
			return err
		}
		netbios = org.NetBIOSDomain
		rec, err = tx.RecipientByLogin(user)
		return err
	})
	if err != nil || rec == nil || !state.CheckPassword(rec.PasswordHash, password) {
		return "", "", errNotAdmin
	}
	if !isOrgAdmin(rec) {
		return "", "", errNotAdmin
	}
	display = rec.DisplayName
	if display == "" {
		display = rec.Name
	}
	return netbios + `\` + rec.SamAccountName, display, nil
}

// isOrgAdmin says whether an account is an organisation administrator:
// a member of Organization Management (Add-RoleGroupMember), as the
// built-in Administrator is.
func isOrgAdmin(rec *state.Recipient) bool {
	return state.InRoleGroup(rec, state.OrganizationManagement)
}

func (s *Server) logoff(w http.ResponseWriter, r *http.Request, u *userSession) {
	s.sess.end(u)
	s.flow.notify() // open live views of this session see it end
	setCookie(w, sessionCookie, "", -1)
	http.Redirect(w, r, "/ecp/auth/logon.aspx", http.StatusSeeOther)
}
