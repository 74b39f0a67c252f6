"""TwiML for the hotline's call flow (Twilio Programmable Voice).

In office hours::

    greeting (vi-VN) + "for English press 1"  (<Gather numDigits=1>)
    recording notice                           (vi, or en after the key press)
    <Enqueue>operators</Enqueue>              (operators dequeue from their phones/clients)

Out of office hours: a message, then ``<Record>`` (a voicemail) whose
``recordingStatusCallback`` tells us the recording's URL; the call becomes a
call-back task. Every URL is absolute: Twilio resolves relative ones against
the request URL, which behind a proxy is not ours.
"""

from __future__ import annotations

from dataclasses import dataclass

from twilio.twiml import TwiML
from twilio.twiml.voice_response import VoiceResponse

ENGLISH_KEY = "1"


@dataclass(frozen=True)
class Prompts:
    """What the caller hears; a deployment may replace any of it."""

    greeting_vi: str = ("Xin chào, quý vị đã gọi đến Tổng đài 1022 tiếp nhận phản ánh, kiến nghị "
                        "của người dân và doanh nghiệp.")
    press_for_english: str = "For English, press 1."
    notice_vi: str = ("Cuộc gọi có thể được ghi âm để nâng cao chất lượng phục vụ. "
                      "Xin quý vị vui lòng giữ máy, tổng đài viên sẽ trả lời trong giây lát.")
    notice_en: str = ("Welcome to the 1022 public service hotline. This call may be recorded to improve "
                      "our service. Please hold, an operator will answer shortly.")
    after_hours_vi: str = ("Tổng đài 1022 hiện ngoài giờ làm việc. Cuộc gọi có thể được ghi âm. "
                           "Sau tiếng bíp, xin vui lòng để lại họ tên và nội dung phản ánh; "
                           "chúng tôi sẽ gọi lại cho quý vị.")
    after_hours_en: str = ("The 1022 hotline is closed now. This call may be recorded. After the beep, "
                           "please leave your name and your message, and we will call you back.")
    goodbye_vi: str = "Cảm ơn quý vị. Xin chào."
    goodbye_en: str = "Thank you. Goodbye."
    # Twilio's basic voices do not speak Vietnamese; its Google voices do.
    voice_vi: str = "Google.vi-VN-Standard-A"
    voice_en: str = "Polly.Joanna"


def _say_vi(node: TwiML, text: str, prompts: Prompts) -> None:
    node.say(text, language="vi-VN", voice=prompts.voice_vi)


def _say_en(node: TwiML, text: str, prompts: Prompts) -> None:
    node.say(text, language="en-US", voice=prompts.voice_en)


def welcome(menu_url: str, queue: str, queue_result_url: str, prompts: Prompts = Prompts()) -> str:
    """Greeting with the English option; without a key press: the notice and the queue."""
    response = VoiceResponse()
    gather = response.gather(num_digits=1, action=menu_url, method="POST", timeout=3)
    _say_vi(gather, prompts.greeting_vi, prompts)
    _say_en(gather, prompts.press_for_english, prompts)
    _say_vi(response, prompts.notice_vi, prompts)
    response.enqueue(queue, action=queue_result_url, method="POST")
    return str(response)


def to_queue(language: str, queue: str, queue_result_url: str, prompts: Prompts = Prompts()) -> str:
    """After the menu: the recording notice in the chosen language, then the queue."""
    response = VoiceResponse()
    if language == "en":
        _say_en(response, prompts.notice_en, prompts)
    else:
        _say_vi(response, prompts.notice_vi, prompts)
    response.enqueue(queue, action=queue_result_url, method="POST")
    return str(response)


def after_hours(recording_url: str, max_length: int = 120, prompts: Prompts = Prompts()) -> str:
    """The closed message and a voicemail; ``recording_url`` gets both the action and the status callback."""
    response = VoiceResponse()
    _say_vi(response, prompts.after_hours_vi, prompts)
    _say_en(response, prompts.after_hours_en, prompts)
    response.record(
        action=recording_url, method="POST", max_length=max_length, play_beep=True, finish_on_key="#",
        recording_status_callback=recording_url, recording_status_callback_method="POST",
        recording_status_callback_event="completed",
    )
    # Reached only if nothing was recorded (Twilio skips the action on silence).
    _say_vi(response, prompts.goodbye_vi, prompts)
    response.hangup()
    return str(response)


def goodbye(prompts: Prompts = Prompts()) -> str:
    response = VoiceResponse()
    _say_vi(response, prompts.goodbye_vi, prompts)
    _say_en(response, prompts.goodbye_en, prompts)
    response.hangup()
    return str(response)


def empty() -> str:
    """Nothing more to do (status callbacks; the queue's action after a bridged call)."""
    return str(VoiceResponse())
