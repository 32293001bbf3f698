package state

import (
	"reflect"
	"testing"
)

// TestCloneCoversEverySlice fails when a slice field is added to
// ReceiveConnector without Clone copying it.
func TestCloneCoversEverySlice(t *testing.T) {
	rc := &ReceiveConnector{}
	v := reflect.ValueOf(rc).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
		case reflect.Map, reflect.Pointer:
			t.Errorf("field %s: Clone does not handle kind %v", v.Type().Field(i).Name, f.Kind())
		}
	}
	c := reflect.ValueOf(rc.Clone()).Elem()
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).Kind() != reflect.Slice {
			continue
		}
		if v.Field(i).Pointer() == c.Field(i).Pointer() {
			t.Errorf("Clone shares slice field %s", v.Type().Field(i).Name)
		}
	}
	if !reflect.DeepEqual(rc, rc.Clone()) {
		t.Error("Clone is not equal to the original")
	}
}

// TestRecipientCloneCoversEverySlice fails when a slice field is added to
// Recipient without Clone copying it.
func TestRecipientCloneCoversEverySlice(t *testing.T) {
	r := &Recipient{Permissions: []MailboxPermission{{AccessRights: []string{"FullAccess"}}}}
	v := reflect.ValueOf(r).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		switch {
		case f.Kind() == reflect.Slice && f.IsNil():
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
		case f.Kind() == reflect.Map || f.Kind() == reflect.Pointer:
			t.Errorf("field %s: Clone does not handle kind %v", v.Type().Field(i).Name, f.Kind())
		}
	}
	c := r.Clone()
	cv := reflect.ValueOf(c).Elem()
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).Kind() == reflect.Slice && v.Field(i).Pointer() == cv.Field(i).Pointer() {
			t.Errorf("Clone shares slice field %s", v.Type().Field(i).Name)
		}
	}
	if &c.Permissions[0].AccessRights[0] == &r.Permissions[0].AccessRights[0] {
		t.Error("Clone shares a permission's AccessRights")
	}
	if !reflect.DeepEqual(r, c) {
		t.Error("Clone is not equal to the original")
	}
}
