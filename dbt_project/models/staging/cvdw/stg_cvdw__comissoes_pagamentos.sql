with

source as (

    {{ cvdw_source('comissoes_pagamentos') }}

),

renamed as (

    select
        conta,
        idpagamento,
        idcomissao,
        {{ cvdw_number('valor') }} as valor,
        {{ cvdw_date('vencimento') }} as vencimento,
        {{ cvdw_text('situacao') }} as situacao,
        id_boleto as idboleto,
        coalesce({{ cvdw_bool('ativo') }}, true) as is_ativo,
        {{ cvdw_timestamp('referencia_data') }} as atualizado_em,
        _dlt_load_id
    from source

),

final as (

    select distinct on (conta, idpagamento) *
    from renamed
    where idpagamento is not null
    order by conta, idpagamento, {{ cvdw_newest_first() }}

)

select * from final
