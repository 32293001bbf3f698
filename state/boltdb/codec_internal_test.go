package boltdb

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"exsh/state"
)

// fill sets every field of the struct v points to to a value that is not
// its zero value (distinct per field), so that a field the binary form
// forgets shows up as a difference after a round trip.
func fill(t *testing.T, v reflect.Value, seed *int) {
	t.Helper()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		*seed++
		switch {
		case f.Type() == reflect.TypeOf(time.Time{}):
			f.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, *seed, time.FixedZone("", 3600*(*seed%5+1)))))
		case f.Kind() == reflect.String:
			f.SetString("v" + string(rune('a'+*seed%26)) + ", \"é\"")
		case f.Kind() == reflect.Int || f.Kind() == reflect.Int64:
			f.SetInt(int64(*seed) * 1_000_003)
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Struct:
			s := reflect.MakeSlice(f.Type(), 2, 2)
			fill(t, s.Index(0), seed)
			fill(t, s.Index(1), seed)
			f.Set(s)
		default:
			t.Fatalf("field %s of kind %s: the test does not know how to fill it", v.Type().Field(i).Name, f.Kind())
		}
	}
}

func TestQueueCodecs(t *testing.T) {
	type codec struct {
		name   string
		value  any // a pointer to a filled struct
		encode func(any) []byte
		decode func([]byte) (any, error)
	}
	codecs := []codec{
		{"QueuedMessage", &state.QueuedMessage{},
			func(v any) []byte { return encodeQueuedMessage(v.(*state.QueuedMessage)) },
			func(b []byte) (any, error) {
				var m state.QueuedMessage
				err := decodeQueuedMessage(b, &m)
				return &m, err
			}},
		{"QueueRecord", &state.QueueRecord{},
			func(v any) []byte { return encodeQueueRecord(v.(*state.QueueRecord)) },
			func(b []byte) (any, error) { var r state.QueueRecord; err := decodeQueueRecord(b, &r); return &r, err }},
		{"MailboxItem", &state.MailboxItem{},
			func(v any) []byte { return encodeMailboxItem(v.(*state.MailboxItem)) },
			func(b []byte) (any, error) {
				var it state.MailboxItem
				err := decodeMailboxItem(b, &it)
				return &it, err
			}},
	}
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			seed := 0
			fill(t, reflect.ValueOf(c.value).Elem(), &seed)
			// What a JSON round trip gives back is what the binary form
			// must give back (time zones included).
			js, err := json.Marshal(c.value)
			if err != nil {
				t.Fatal(err)
			}
			want, err := c.decode(js)
			if err != nil {
				t.Fatalf("decoding the JSON form: %v", err)
			}
			bin := c.encode(c.value)
			got, err := c.decode(bin)
			if err != nil {
				t.Fatalf("decoding the binary form: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("binary round trip:\n got %+v\nwant %+v", got, want)
			}
			if again := c.encode(got); string(again) != string(bin) {
				t.Errorf("re-encoding differs")
			}

			// The zero value survives too (UTC zero times, no slices).
			zero := reflect.New(reflect.TypeOf(c.value).Elem()).Interface()
			js, _ = json.Marshal(zero)
			want, _ = c.decode(js)
			got, err = c.decode(c.encode(zero))
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("zero value: got %+v, %v; want %+v", got, err, want)
			}

			// Damaged records are errors, never panics.
			for _, bad := range [][]byte{nil, {}, {0x7f}, bin[:len(bin)-1], append(append([]byte{}, bin...), 0), bin[:1], bin[:len(bin)/2]} {
				if _, err := c.decode(bad); err == nil {
					t.Errorf("decoding % x: no error", bad)
				} else if len(bad) > 0 && bad[0] != '{' && !errors.Is(err, errCodec) {
					t.Errorf("decoding % x: %v, want errCodec", bad, err)
				}
			}
		})
	}
}

func TestQueueTimesKeepTheirZone(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC),
		time.Date(2026, 3, 4, 5, 6, 7, 8, time.FixedZone("", -7*3600)),
		time.Now(),
		{},
	} {
		m := &state.QueuedMessage{DateReceived: tm}
		js, _ := json.Marshal(m)
		var want, got state.QueuedMessage
		if err := json.Unmarshal(js, &want); err != nil {
			t.Fatal(err)
		}
		if err := decodeQueuedMessage(encodeQueuedMessage(m), &got); err != nil {
			t.Fatal(err)
		}
		if !got.DateReceived.Equal(tm) || got.DateReceived.String() != want.DateReceived.String() {
			t.Errorf("%v: got %v, want %v", tm, got.DateReceived, want.DateReceived)
		}
	}
}

// Records that earlier versions wrote as JSON are read, and rewritten in
// the binary form when changed.
func TestQueueReadsJSONRecords(t *testing.T) {
	st := openTemp(t)
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	if err := st.InitQueues(now); err != nil {
		t.Fatal(err)
	}
	m := &state.QueuedMessage{Queue: state.QueueSubmission, MessageId: "<a@contoso.com>", Status: "Ready", DateReceived: now,
		Recipients: []state.QueuedRecipient{{Address: "administrator@contoso.com", Status: "Ready"}}}
	if err := st.Enqueue(m, []byte("Subject: x\r\n\r\nbody\r\n")); err != nil {
		t.Fatal(err)
	}
	item := &state.MailboxItem{Mailbox: "guid", From: "a@fabrikam.com", ReceivedTime: now}
	if err := st.QueueUpdate(func(q state.QueueTx) error { return q.Deliver(item, []byte("x")) }); err != nil {
		t.Fatal(err)
	}
	// Put the records back as JSON, as an earlier version left them.
	qr := &state.QueueRecord{}
	if err := st.db.Update(func(tx *bolt.Tx) error {
		if err := decodeQueueRecord(tx.Bucket(bucketQueues).Get(queueKey64(state.QueueSubmission)), qr); err != nil {
			return err
		}
		for _, rec := range []struct {
			bucket, key []byte
			v           any
		}{
			{bucketQueueMessages, queueMsgKey(m.Queue, m.InternalId), m},
			{bucketQueues, queueKey64(state.QueueSubmission), qr},
			{bucketMailboxItems, append([]byte(item.Mailbox), queueKey64(item.Id)...), item},
		} {
			js, err := json.Marshal(rec.v)
			if err != nil {
				return err
			}
			if err := tx.Bucket(rec.bucket).Put(rec.key, js); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.QueueUpdate(func(q state.QueueTx) error {
		got, err := q.Message(m.Queue, m.InternalId)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("message: got %+v, want %+v", got, m)
		}
		r, err := q.Queue(state.QueueSubmission)
		if err != nil {
			return err
		}
		if r.MessageCount != 1 || !reflect.DeepEqual(r, qr) {
			t.Errorf("queue: got %+v, want %+v", r, qr)
		}
		items, err := q.MailboxItems("guid")
		if err != nil {
			return err
		}
		if len(items) != 1 || !reflect.DeepEqual(items[0], item) {
			t.Errorf("items: got %+v, want %+v", items, item)
		}
		got.Status = "Retry"
		return q.PutMessage(got)
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketQueueMessages).Get(queueMsgKey(m.Queue, m.InternalId)); len(v) == 0 || v[0] != codecQueuedMessage {
			t.Errorf("a changed record is not in the binary form: %q", v)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// flatCache hands out copies of the cached value: that clones only
// records without references.
func TestFlatCacheRecordsAreFlat(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeOf(state.Organization{}), reflect.TypeOf(state.MailboxDatabase{})} {
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			switch f.Type.Kind() {
			case reflect.String, reflect.Bool, reflect.Int, reflect.Int64:
			default:
				if f.Type != reflect.TypeOf(time.Time{}) {
					t.Errorf("%s.%s is a %s: flatCache would share it between copies", typ.Name(), f.Name, f.Type)
				}
			}
		}
	}
}
