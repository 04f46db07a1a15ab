# Chinese punctuation is full-width on purpose (as Chinese is typeset); RUF001 would want ASCII.
# ruff: noqa: RUF001
"""The market authority's screens' strings (API keys, the catalog, the floor plan, and its
participant forms' results), in English, Korean and simplified Chinese. Kept apart from
:mod:`api.workbench.messages`, which adds them to its catalogue."""

from __future__ import annotations

EN: dict[str, str] = {
    "nav_keys": "API keys",
    "nav_catalog": "Catalog",
    "nav_floor_plan": "Floor plan",
    "kind_participant": "Participant registered",
    "kind_suspend": "Participant suspended",
    "kind_reinstate": "Participant reinstated",
    "kind_payment": "Gas money sent",
    "back_authority": "Back to the participants",
    # API keys
    "title_keys": "API keys of {name}",
    "keys_intro": (
        "A key lets a system (a lab's LIMS, a customs system, a till) write as {name}. The market keeps only "
        "a hash of each key: a secret is shown once, when issued."
    ),
    "keys_of_name": "API keys of {name}",
    "keys_none": "No API keys issued.",
    "key_id": "Key",
    "key_label": "What it is for",
    "key_label_hint": "For example: the lab's LIMS, the till of stall A12.",
    "created": "Issued",
    "last_used": "Last used",
    "never_used": "never",
    "key_state": "State",
    "key_active": "active",
    "key_revoked_at": "revoked {when}",
    "issue_key": "Issue a new key",
    "revoke_key": "Revoke key {key_id}",
    "title_key_issued": "API key issued",
    "key_issued": "Key {key_id} issued for {name}.",
    "key_secret": "The key (shown this once: copy it now)",
    "key_secret_hint": "The market does not keep it: if it is lost, revoke it and issue another.",
    "key_already_issued": (
        "This form already issued key {key_id}; its secret was shown once and is not kept. If it was lost, "
        "revoke it and issue another."
    ),
    "key_revoked": "Key {key_id} revoked: the API refuses it from now on.",
    # catalog
    "title_catalog": "Product catalog",
    "catalog_intro": (
        "The names behind the GTINs the ledger records, shown on the board, the stall screens and shoppers' pages."
    ),
    "products_heading": "Products",
    "products_none": "No products yet.",
    "gtin": "GTIN",
    "gtin_hint": "8, 12, 13 or 14 digits; the last is the check digit.",
    "product_name": "Name",
    "name_en": "Name in English",
    "name_zh": "Name in Chinese",
    "name_ko": "Name in Korean",
    "updated": "Updated",
    "edit_product": "Edit {gtin}",
    "product_form_new": "Add a product",
    "product_form_edit": "Edit product {gtin}",
    "save_product": "Save the product",
    "product_saved": "{name} ({gtin}) saved.",
    "error_gtin": "Not a GTIN: 8, 12, 13 or 14 digits with a right check digit.",
    "error_product_name": "At most 120 characters, not only spaces.",
    # floor plan
    "title_floor_plan": "Floor plan",
    "floor_plan_intro": (
        "The plan the board, the kiosk and the stall screens draw. Publishing stores it as a document and "
        "records it on the ledger."
    ),
    "floor_plan_current": "Current plan",
    "floor_plan_none": "No floor plan published yet.",
    "floor_plan_published_in": "Published in block {block}.",
    "floor_plan_edit": "Change the plan",
    "floor_plan_json": "Plan (JSON)",
    "floor_plan_json_hint": (
        "width and height; stalls (stall, x, y, w, h) with every registered stall once; empty places (label, "
        "x, y, w, h); entrances on the edge (label, x, y); the lab (x, y, w, h). No overlaps."
    ),
    "floor_plan_file": "Or a JSON file",
    "floor_plan_file_hint": "A file chosen here is published instead of the text above.",
    "floor_plan_stalls": "Registered stalls",
    "publish_floor_plan": "Check and publish",
    "floor_plan_published": "Floor plan published on the ledger in block {block}.",
    "floor_plan_unchanged": "This plan is already the market's floor plan: nothing was published again.",
    "floor_plan_open_map": "Open the map as the board shows it",
    "floor_plan_problems": "{count} problems: nothing was published.",
    "error_plan_size": "The plan is too large (at most {limit} KB).",
    "error_plan_depth": "The plan nests too deep (at most {limit} levels).",
    "error_plan_number": "A number in the plan is too long.",
    "error_plan_json": "Not JSON: {detail} (line {line}, column {column}).",
}

KO: dict[str, str] = {
    "nav_keys": "API 키",
    "nav_catalog": "상품 목록",
    "nav_floor_plan": "시장 배치도",
    "kind_participant": "참여자 등록",
    "kind_suspend": "참여자 정지",
    "kind_reinstate": "참여자 복구",
    "kind_payment": "가스비 송금",
    "back_authority": "참여자 목록으로",
    "title_keys": "{name}의 API 키",
    "keys_intro": (
        "키가 있으면 시스템(검사소 LIMS, 세관 시스템, 계산대)이 {name}(으)로 기록할 수 있습니다. 시장은 키의 "
        "해시만 보관합니다. 비밀 값은 발급할 때 한 번만 보여 줍니다."
    ),
    "keys_of_name": "{name}의 API 키",
    "keys_none": "발급된 API 키가 없습니다.",
    "key_id": "키",
    "key_label": "용도",
    "key_label_hint": "예: 검사소 LIMS, A12 점포 계산대.",
    "created": "발급",
    "last_used": "마지막 사용",
    "never_used": "사용 안 함",
    "key_state": "상태",
    "key_active": "사용 중",
    "key_revoked_at": "{when} 폐기",
    "issue_key": "새 키 발급",
    "revoke_key": "키 {key_id} 폐기",
    "title_key_issued": "API 키 발급됨",
    "key_issued": "{name}의 키 {key_id}를 발급했습니다.",
    "key_secret": "키 (이번 한 번만 보입니다. 지금 복사하세요)",
    "key_secret_hint": "시장은 이 값을 보관하지 않습니다. 잃어버리면 폐기하고 새로 발급하세요.",
    "key_already_issued": (
        "이 양식으로 이미 키 {key_id}를 발급했습니다. 비밀 값은 한 번만 보여 주며 보관하지 않습니다. "
        "잃어버렸다면 폐기하고 새로 발급하세요."
    ),
    "key_revoked": "키 {key_id}를 폐기했습니다. 이제 API가 이 키를 거부합니다.",
    "title_catalog": "상품 목록",
    "catalog_intro": "원장에 기록되는 GTIN의 상품명입니다. 전광판, 점포 화면, 소비자 페이지에 표시됩니다.",
    "products_heading": "상품",
    "products_none": "아직 상품이 없습니다.",
    "gtin": "GTIN",
    "gtin_hint": "8, 12, 13 또는 14자리. 마지막 자리는 검증 숫자입니다.",
    "product_name": "이름",
    "name_en": "영어 이름",
    "name_zh": "중국어 이름",
    "name_ko": "한국어 이름",
    "updated": "수정",
    "edit_product": "{gtin} 수정",
    "product_form_new": "상품 추가",
    "product_form_edit": "상품 {gtin} 수정",
    "save_product": "상품 저장",
    "product_saved": "{name} ({gtin}) 저장됨.",
    "error_gtin": "GTIN이 아닙니다. 검증 숫자가 맞는 8, 12, 13 또는 14자리 숫자를 입력하세요.",
    "error_product_name": "공백만이 아닌 120자 이내로 입력하세요.",
    "title_floor_plan": "시장 배치도",
    "floor_plan_intro": (
        "전광판, 키오스크, 점포 화면이 그리는 배치도입니다. 게시하면 문서로 저장되고 원장에 기록됩니다."
    ),
    "floor_plan_current": "현재 배치도",
    "floor_plan_none": "아직 게시된 배치도가 없습니다.",
    "floor_plan_published_in": "블록 {block}에 게시됨.",
    "floor_plan_edit": "배치도 변경",
    "floor_plan_json": "배치도 (JSON)",
    "floor_plan_json_hint": (
        "width, height; stalls(stall, x, y, w, h)에 등록된 모든 점포를 한 번씩; empty(label, x, y, w, h); "
        "가장자리의 entrances(label, x, y); lab(x, y, w, h). 겹치면 안 됩니다."
    ),
    "floor_plan_file": "또는 JSON 파일",
    "floor_plan_file_hint": "여기서 파일을 고르면 위의 글 대신 그 파일을 게시합니다.",
    "floor_plan_stalls": "등록된 점포",
    "publish_floor_plan": "확인 후 게시",
    "floor_plan_published": "배치도를 원장 블록 {block}에 게시했습니다.",
    "floor_plan_unchanged": "이미 시장의 배치도입니다. 다시 게시하지 않았습니다.",
    "floor_plan_open_map": "전광판의 배치도 열기",
    "floor_plan_problems": "문제 {count}건: 게시하지 않았습니다.",
    "error_plan_size": "배치도가 너무 큽니다 (최대 {limit} KB).",
    "error_plan_depth": "배치도의 중첩이 너무 깊습니다 (최대 {limit}단계).",
    "error_plan_number": "배치도의 숫자가 너무 깁니다.",
    "error_plan_json": "JSON이 아닙니다: {detail} ({line}행 {column}열).",
}

ZH: dict[str, str] = {
    "nav_keys": "API 密钥",
    "nav_catalog": "商品目录",
    "nav_floor_plan": "市场平面图",
    "kind_participant": "登记参与方",
    "kind_suspend": "暂停参与方",
    "kind_reinstate": "恢复参与方",
    "kind_payment": "已转燃料费",
    "back_authority": "返回参与方",
    "title_keys": "{name}的 API 密钥",
    "keys_intro": (
        "有了密钥，系统（检测室 "
        "LIMS、海关系统、收银机）就能以{name}的身份记录。市场只保存密钥的哈希：密钥只在签发时显示一次。"
    ),
    "keys_of_name": "{name}的 API 密钥",
    "keys_none": "尚未签发 API 密钥。",
    "key_id": "密钥",
    "key_label": "用途",
    "key_label_hint": "例如：检测室 LIMS、A12 摊位的收银机。",
    "created": "签发时间",
    "last_used": "最近使用",
    "never_used": "从未使用",
    "key_state": "状态",
    "key_active": "有效",
    "key_revoked_at": "{when} 已吊销",
    "issue_key": "签发新密钥",
    "revoke_key": "吊销密钥 {key_id}",
    "title_key_issued": "已签发 API 密钥",
    "key_issued": "已为{name}签发密钥 {key_id}。",
    "key_secret": "密钥（只显示这一次，请立即复制）",
    "key_secret_hint": "市场不保存密钥：如果丢失，请吊销后重新签发。",
    "key_already_issued": "此表单已签发密钥 {key_id}；密钥只显示一次，不再保存。如已丢失，请吊销后重新签发。",
    "key_revoked": "已吊销密钥 {key_id}：API 从现在起拒绝它。",
    "title_catalog": "商品目录",
    "catalog_intro": "账本记录的 GTIN 对应的商品名称，显示在大屏、摊位屏和顾客页面上。",
    "products_heading": "商品",
    "products_none": "还没有商品。",
    "gtin": "GTIN",
    "gtin_hint": "8、12、13 或 14 位数字，最后一位是校验位。",
    "product_name": "名称",
    "name_en": "英文名称",
    "name_zh": "中文名称",
    "name_ko": "韩文名称",
    "updated": "更新时间",
    "edit_product": "编辑 {gtin}",
    "product_form_new": "添加商品",
    "product_form_edit": "编辑商品 {gtin}",
    "save_product": "保存商品",
    "product_saved": "已保存{name}（{gtin}）。",
    "error_gtin": "不是有效的 GTIN：需 8、12、13 或 14 位数字且校验位正确。",
    "error_product_name": "最多 120 个字符，不能只有空格。",
    "title_floor_plan": "市场平面图",
    "floor_plan_intro": "大屏、触摸屏和摊位屏显示的平面图。发布时存为文档并记录到账本。",
    "floor_plan_current": "当前平面图",
    "floor_plan_none": "尚未发布平面图。",
    "floor_plan_published_in": "发布于区块 {block}。",
    "floor_plan_edit": "修改平面图",
    "floor_plan_json": "平面图（JSON）",
    "floor_plan_json_hint": (
        "width、height；stalls（stall、x、y、w、h）须包含每个已登记摊位各一次；empty（label、x、y、"
        "w、h）；边上的 entrances（label、x、y）；lab（x、y、w、h）。不得重叠。"
    ),
    "floor_plan_file": "或 JSON 文件",
    "floor_plan_file_hint": "在此选择文件时，发布该文件而不是上面的文本。",
    "floor_plan_stalls": "已登记摊位",
    "publish_floor_plan": "检查并发布",
    "floor_plan_published": "平面图已发布到账本区块 {block}。",
    "floor_plan_unchanged": "这已经是市场的平面图：没有再次发布。",
    "floor_plan_open_map": "打开大屏上的平面图",
    "floor_plan_problems": "{count} 个问题：未发布。",
    "error_plan_size": "平面图太大（最大 {limit} KB）。",
    "error_plan_depth": "平面图嵌套太深（最多 {limit} 层）。",
    "error_plan_number": "平面图中的数字太长。",
    "error_plan_json": "不是 JSON：{detail}（第 {line} 行第 {column} 列）。",
}
