// Words of the list rows' last message, the composer's FAQ suggestions and the customer panel's
// create/link forms, in en and zh-CN (CONSOLE.md's glossary), added to i18n.js's.
import { addWords } from "./i18n.js";

const en = {
  faqSuggestions: "Suggested FAQ answers", faqInsert: "Insert the FAQ answer to “{q}”",
  fromAgent: "You: ", fromOtherAgent: "Agent: ", fromBot: "Bot: ",
  msg_image: "[Image]", msg_voice: "[Voice]", msg_video: "[Video]", msg_file: "[File]", msg_location: "[Location]",
  createProfile: "Create profile", linkProfile: "Link to a profile", profileName: "Name",
  profileLanguage: "Language", profileNotes: "Notes", saveProfile: "Create", searchProfiles: "Search profiles",
  searchPlaceholder: "Name or external id", search: "Search", link: "Link", noMatches: "No profile matches.",
  linkSupervisorsOnly: "Only supervisors can search the customer directory. Ask one to link this customer, or create a profile.",
  profileCreated: "Profile created and linked.", profileLinked: "Linked to the profile.", cancel: "Cancel",
};

const zh = {
  faqSuggestions: "推荐的常见问题回答", faqInsert: "插入“{q}”的常见问题回答",
  fromAgent: "我：", fromOtherAgent: "客服：", fromBot: "机器人：",
  msg_image: "[图片]", msg_voice: "[语音]", msg_video: "[视频]", msg_file: "[文件]", msg_location: "[位置]",
  createProfile: "新建客户资料", linkProfile: "关联已有客户资料", profileName: "姓名",
  profileLanguage: "语言", profileNotes: "备注", saveProfile: "新建", searchProfiles: "搜索客户资料",
  searchPlaceholder: "姓名或外部编号", search: "搜索", link: "关联", noMatches: "没有匹配的客户资料。",
  linkSupervisorsOnly: "只有主管可以搜索客户目录。请主管关联此客户，或新建客户资料。",
  profileCreated: "已新建并关联客户资料。", profileLinked: "已关联到该客户资料。", cancel: "取消",
};

addWords({ en, "zh-CN": zh });
