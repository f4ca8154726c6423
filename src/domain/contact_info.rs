//! Contact data ("commonData"): a CRM contact's emails, phones, websites and other handles, with
//! ONLYOFFICE's info types and categories, one primary entry per type, and ids per contact.

use serde::{Deserialize, Serialize};

use super::values::{Email, MAX_LINE, MAX_LIST, char_len, non_blank};

/// ONLYOFFICE's `ContactInfoType`, in its order (the number is the wire code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InfoType {
    Phone,
    Email,
    Website,
    Skype,
    Twitter,
    LinkedIn,
    Facebook,
    Address,
    LiveJournal,
    MySpace,
    GMail,
    Blogger,
    Yahoo,
    MSN,
    ICQ,
    Jabber,
    AIM,
    VK,
}

const INFO_TYPES: [InfoType; 18] = [
    InfoType::Phone,
    InfoType::Email,
    InfoType::Website,
    InfoType::Skype,
    InfoType::Twitter,
    InfoType::LinkedIn,
    InfoType::Facebook,
    InfoType::Address,
    InfoType::LiveJournal,
    InfoType::MySpace,
    InfoType::GMail,
    InfoType::Blogger,
    InfoType::Yahoo,
    InfoType::MSN,
    InfoType::ICQ,
    InfoType::Jabber,
    InfoType::AIM,
    InfoType::VK,
];

/// `PhoneCategory`: Home, Work, Mobile, Fax, Direct, Other.
const PHONE_CATEGORIES: [&str; 6] = ["Home", "Work", "Mobile", "Fax", "Direct", "Other"];
/// `ContactInfoBaseCategory`: Home, Work, Other.
const BASE_CATEGORIES: [&str; 3] = ["Home", "Work", "Other"];

impl InfoType {
    /// By name (any case) or by number, as ONLYOFFICE's converter reads it.
    pub fn parse(input: &str) -> Option<InfoType> {
        let s = input.trim();
        if let Ok(n) = s.parse::<usize>() {
            return INFO_TYPES.get(n).copied();
        }
        INFO_TYPES.into_iter().find(|t| t.name().eq_ignore_ascii_case(s))
    }

    pub fn code(self) -> i32 {
        INFO_TYPES.iter().position(|t| *t == self).unwrap_or_default() as i32
    }

    pub fn name(self) -> &'static str {
        match self {
            InfoType::Phone => "Phone",
            InfoType::Email => "Email",
            InfoType::Website => "Website",
            InfoType::Skype => "Skype",
            InfoType::Twitter => "Twitter",
            InfoType::LinkedIn => "LinkedIn",
            InfoType::Facebook => "Facebook",
            InfoType::Address => "Address",
            InfoType::LiveJournal => "LiveJournal",
            InfoType::MySpace => "MySpace",
            InfoType::GMail => "GMail",
            InfoType::Blogger => "Blogger",
            InfoType::Yahoo => "Yahoo",
            InfoType::MSN => "MSN",
            InfoType::ICQ => "ICQ",
            InfoType::Jabber => "Jabber",
            InfoType::AIM => "AIM",
            InfoType::VK => "VK",
        }
    }

    fn categories(self) -> &'static [&'static str] {
        match self {
            InfoType::Phone => &PHONE_CATEGORIES,
            _ => &BASE_CATEGORIES,
        }
    }

    /// The number of the category named `name` (any case) among this type's, or written as a number.
    pub fn category_code(self, name: &str) -> Option<i32> {
        let name = name.trim();
        if let Ok(n) = name.parse::<i32>() {
            return Some(n);
        }
        let at = self.categories().iter().position(|c| c.eq_ignore_ascii_case(name))?;
        i32::try_from(at).ok()
    }

    /// The category's name (`categoryName`), `None` when the category does not exist for this type.
    pub fn category_name(self, category: i32) -> Option<&'static str> {
        usize::try_from(category)
            .ok()
            .and_then(|c| self.categories().get(c))
            .copied()
    }
}

/// One entry of a contact's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactInfo {
    /// Unique within its contact; never reused.
    pub id: i32,
    pub info_type: InfoType,
    pub category: i32,
    pub data: String,
    pub is_primary: bool,
}

/// An entry as a client sent it: what is absent keeps its value on a change (a new entry needs a type
/// and data; its category defaults to the type's first one).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactInfoDraft {
    pub info_type: Option<InfoType>,
    pub category: Option<Category>,
    pub data: Option<String>,
    pub is_primary: Option<bool>,
}

/// A category as a request gives it: its number, or its name among the categories of the entry's type
/// (`Work`, `Mobile`, … in any case), as ONLYOFFICE takes it; the type may be the entry's current one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Category {
    Code(i32),
    Name(String),
}

impl From<i32> for Category {
    fn from(code: i32) -> Category {
        Category::Code(code)
    }
}

/// A contact-data rule that was broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InfoRule {
    TypeRequired,
    AddressNotSupported,
    DataRequired,
    DataTooLong,
    EmailInvalid,
    CategoryInvalid,
    TooMany,
    NotFound,
}

/// The entry `draft` makes: a new one with id `id` (over `base` = `None`), or `base` changed.
pub fn decide(base: Option<&ContactInfo>, id: i32, draft: &ContactInfoDraft) -> Result<ContactInfo, InfoRule> {
    let info_type = draft
        .info_type
        .or(base.map(|b| b.info_type))
        .ok_or(InfoRule::TypeRequired)?;
    if info_type == InfoType::Address {
        return Err(InfoRule::AddressNotSupported);
    }
    let data = match (&draft.data, base) {
        (Some(d), _) => non_blank(d).ok_or(InfoRule::DataRequired)?.to_string(),
        (None, Some(b)) => b.data.clone(),
        (None, None) => return Err(InfoRule::DataRequired),
    };
    if char_len(&data) > MAX_LINE {
        return Err(InfoRule::DataTooLong);
    }
    if info_type == InfoType::Email && Email::parse(&data).is_none() {
        return Err(InfoRule::EmailInvalid);
    }
    // A type change keeps the category only where the new type has it.
    let category = match &draft.category {
        Some(Category::Code(code)) => *code,
        Some(Category::Name(name)) => info_type.category_code(name).ok_or(InfoRule::CategoryInvalid)?,
        None => base.map_or(0, |b| b.category),
    };
    if info_type.category_name(category).is_none() {
        return Err(InfoRule::CategoryInvalid);
    }
    Ok(ContactInfo {
        id,
        info_type,
        category,
        data,
        is_primary: draft.is_primary.or(base.map(|b| b.is_primary)).unwrap_or(false),
    })
}

/// The id the next new entry gets.
pub fn next_id(list: &[ContactInfo], highest_ever: i32) -> i32 {
    list.iter().map(|i| i.id).max().unwrap_or(0).max(highest_ever) + 1
}

/// Checks that one more entry fits.
pub fn room_for_one(list: &[ContactInfo]) -> Result<(), InfoRule> {
    if list.len() >= MAX_LIST {
        Err(InfoRule::TooMany)
    } else {
        Ok(())
    }
}

/// The entry `id` of `list`.
pub fn find(list: &[ContactInfo], id: i64) -> Result<&ContactInfo, InfoRule> {
    list.iter().find(|i| i64::from(i.id) == id).ok_or(InfoRule::NotFound)
}

/// Folds an added or changed entry into a record's data and its highest id ever given.
pub fn fold_put(list: &mut Vec<ContactInfo>, last_id: &mut i32, info: ContactInfo) {
    *last_id = (*last_id).max(info.id);
    put(list, info);
}

/// Folds an added or changed entry into `list`: it replaces its id, and a primary entry makes every
/// other entry of its type secondary (one primary per type).
pub fn put(list: &mut Vec<ContactInfo>, info: ContactInfo) {
    if info.is_primary {
        for other in list
            .iter_mut()
            .filter(|o| o.info_type == info.info_type && o.id != info.id)
        {
            other.is_primary = false;
        }
    }
    match list.iter_mut().find(|o| o.id == info.id) {
        Some(slot) => *slot = info,
        None => list.push(info),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(t: InfoType, data: &str) -> ContactInfoDraft {
        ContactInfoDraft {
            info_type: Some(t),
            data: Some(data.into()),
            ..Default::default()
        }
    }

    #[test]
    fn info_types_parse_by_name_in_any_case_or_by_number() {
        assert_eq!(InfoType::parse("email"), Some(InfoType::Email));
        assert_eq!(InfoType::parse("LINKEDIN"), Some(InfoType::LinkedIn));
        assert_eq!(InfoType::parse("0"), Some(InfoType::Phone));
        assert_eq!(InfoType::parse("17"), Some(InfoType::VK));
        assert_eq!(InfoType::parse("18"), None);
        assert_eq!(InfoType::parse("fax"), None);
        assert_eq!(InfoType::VK.code(), 17);
    }

    #[test]
    fn a_new_entry_needs_a_type_and_data_and_a_category_of_its_type() {
        assert_eq!(
            decide(None, 1, &ContactInfoDraft::default()),
            Err(InfoRule::TypeRequired)
        );
        assert_eq!(
            decide(None, 1, &draft(InfoType::Phone, " ")),
            Err(InfoRule::DataRequired)
        );
        assert_eq!(
            decide(None, 1, &draft(InfoType::Email, "nope")),
            Err(InfoRule::EmailInvalid)
        );
        assert_eq!(
            decide(None, 1, &draft(InfoType::Address, "x")),
            Err(InfoRule::AddressNotSupported)
        );
        let fax = ContactInfoDraft {
            category: Some(Category::Code(3)),
            ..draft(InfoType::Email, "a@b.io")
        };
        assert_eq!(decide(None, 1, &fax), Err(InfoRule::CategoryInvalid));
        let fax = ContactInfoDraft {
            category: Some(Category::Code(3)),
            ..draft(InfoType::Phone, "+1 555")
        };
        assert_eq!(decide(None, 1, &fax).map(|i| i.category), Ok(3));
        // By name, in any case, among the categories of the entry's type (its current one on a change).
        let mobile = ContactInfoDraft {
            category: Some(Category::Name("mobile".into())),
            ..draft(InfoType::Phone, "+1 555 0100")
        };
        assert_eq!(decide(None, 1, &mobile).map(|i| i.category), Ok(2));
        let work = decide(None, 1, &draft(InfoType::Email, "a@b.io")).unwrap();
        let renamed = ContactInfoDraft {
            category: Some(Category::Name("Work".into())),
            ..ContactInfoDraft::default()
        };
        assert_eq!(decide(Some(&work), 1, &renamed).map(|i| i.category), Ok(1));
        let fax_for_email = ContactInfoDraft {
            category: Some(Category::Name("Fax".into())),
            ..ContactInfoDraft::default()
        };
        assert_eq!(decide(Some(&work), 1, &fax_for_email), Err(InfoRule::CategoryInvalid));
        assert_eq!(
            decide(None, 1, &draft(InfoType::Skype, &"x".repeat(256))),
            Err(InfoRule::DataTooLong)
        );
    }

    #[test]
    fn a_change_keeps_what_it_leaves_out() {
        let base = decide(None, 4, &draft(InfoType::Phone, "+1 555")).unwrap();
        let change = ContactInfoDraft {
            is_primary: Some(true),
            ..Default::default()
        };
        let changed = decide(Some(&base), 4, &change).unwrap();
        assert_eq!(
            (changed.id, changed.data.as_str(), changed.is_primary),
            (4, "+1 555", true)
        );
    }

    #[test]
    fn one_primary_per_type_and_ids_are_never_reused() {
        let mut list = Vec::new();
        let primary = |id, t, d: &str| ContactInfo {
            is_primary: true,
            ..decide(None, id, &draft(t, d)).unwrap()
        };
        put(&mut list, primary(1, InfoType::Phone, "1"));
        put(&mut list, primary(2, InfoType::Email, "a@b.io"));
        put(&mut list, primary(3, InfoType::Phone, "3"));
        let primaries: Vec<i32> = list.iter().filter(|i| i.is_primary).map(|i| i.id).collect();
        assert_eq!(primaries, [2, 3]);
        list.retain(|i| i.id != 3);
        assert_eq!(next_id(&list, 3), 4);
    }
}
